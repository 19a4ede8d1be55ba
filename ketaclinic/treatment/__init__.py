"""Supervised treatment: protocols, courses, dosing and the monitored session.

The modules in this package up to now are the pure core (no Django import): protocol data and
validation, the shipped protocol library, dose arithmetic, session calendars, monitoring rules
and the esketamine REMS Patient Monitoring Form. The Django models and services build on them.
"""
