"""Treatment's pure core: protocol data and validation, the shipped protocol library, dosing,
the session calendar, monitoring schedules and thresholds, REMS form rules.

Nothing here imports Django or another app's Django modules; it is tested without a database
(tests/test_pure_imports.py imports it in a fresh interpreter and checks Django stays absent).
"""
