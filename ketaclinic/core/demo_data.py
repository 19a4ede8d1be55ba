"""Constants of the demo clinic that every app's demo step reads (no imports: the apps' demo
modules import this one, and ``core/demo.py`` imports the apps' demo modules)."""

from __future__ import annotations

# Shared by every demo user; long enough for the 12-character rule and not on the common list.
DEMO_PASSWORD = "demo-clinic-Harbour-2026"  # noqa: S105  (published demo credential, synthetic data only)
