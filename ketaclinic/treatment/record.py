"""Moved: the pure record builder is ``treatment.domain.record``; what gathers its data from the
database is ``treatment.selectors.signing``. Re-exported until callers are updated (views, forms);
then delete this module."""

from __future__ import annotations

from ketaclinic.treatment.domain.pmf import pmf_from_dict, pmf_to_dict
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS
from ketaclinic.treatment.selectors.signing import (
    amended_pmf_data,
    build_pmf,
    current_value,
    dose_content,
    open_alert_count_for_session,
    session_content,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "amended_pmf_data",
    "build_pmf",
    "current_value",
    "dose_content",
    "open_alert_count_for_session",
    "pmf_from_dict",
    "pmf_to_dict",
    "session_content",
]
