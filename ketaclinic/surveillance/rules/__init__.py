"""Pure surveillance rules: what is due when (``due``), the misuse and diversion indicators
(``indicators``), cumulative exposure and the blood-pressure trend (``exposure``), and the chart
geometry (``chart``). No Django import (tests/test_pure_imports.py)."""

from __future__ import annotations

from ketaclinic.surveillance.rules.due import (
    DEFAULT_POLICY,
    ITEM_LABELS,
    DueItem,
    DueStatus,
    ItemKind,
    Policy,
    due_items,
)
from ketaclinic.surveillance.rules.exposure import (
    Exposure,
    Reading,
    SessionBp,
    exposure,
    session_bp,
)
from ketaclinic.surveillance.rules.indicators import (
    DEFAULT_THRESHOLDS,
    EarlyRequest,
    Flag,
    GivenDose,
    Thresholds,
    misuse_flags,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_THRESHOLDS",
    "ITEM_LABELS",
    "DueItem",
    "DueStatus",
    "EarlyRequest",
    "Exposure",
    "Flag",
    "GivenDose",
    "ItemKind",
    "Policy",
    "Reading",
    "SessionBp",
    "Thresholds",
    "due_items",
    "exposure",
    "misuse_flags",
    "session_bp",
]
