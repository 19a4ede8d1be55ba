"""Pure HIPAA Safe Harbor rules (45 CFR 164.514(b)(2)): no Django, tested without a database."""

from ketaclinic.research.deid.rules import (
    AGE_TOP_CODE,
    RESTRICTED_ZIP3,
    RESTRICTED_ZIP3_SOURCE,
    age_at,
    age_label,
    days_from_index,
    new_study_id,
    zip3,
)

__all__ = [
    "AGE_TOP_CODE",
    "RESTRICTED_ZIP3",
    "RESTRICTED_ZIP3_SOURCE",
    "age_at",
    "age_label",
    "days_from_index",
    "new_study_id",
    "zip3",
]
