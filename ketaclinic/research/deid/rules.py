"""HIPAA Safe Harbor transformations (45 CFR 164.514(b)(2); /work/shared/domain/regulatory.md §5).

- Dates: only the year may leave, or days relative to a per-patient index date that is itself never
  exported (so no exported value can be turned back into a calendar date).
- Ages over 89 are aggregated into one category, "90+" (164.514(b)(2)(i)(C)).
- ZIP codes: the first three digits only, and "000" where all ZIP codes sharing them hold 20,000
  people or fewer (164.514(b)(2)(i)(B)).
- Re-identification codes are random (``secrets``), never derived from any identifier
  (164.514(c)); the key (patient -> study id) stays in the clinic's database.

The restricted ZIP3 list is HHS's, from the 2000 census. HHS says to use current census data, so the
list is versioned data that a deployment may replace (setting ``KETACLINIC_RESTRICTED_ZIP3``, a
comma-separated list): treat it as **unverified** against the current census.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

#: HHS's 17 restricted three-digit ZIP prefixes (2000 census) [regulatory.md §5: pipedot.org (J. D.
#: Cook); CDCgov/prime-reportstream #5232]. Versioned data; unverified against the current census.
RESTRICTED_ZIP3: frozenset[str] = frozenset(
    {
        "036", "059", "063", "102", "203", "556", "692", "790", "821",
        "823", "830", "831", "878", "879", "884", "890", "893",
    }
)  # fmt: skip
RESTRICTED_ZIP3_SOURCE = "HHS Safe Harbor guidance, 2000 census (regulatory.md section 5)"

#: Ages above this are reported as one category (164.514(b)(2)(i)(C): "ages over 89").
AGE_TOP_CODE = 89

_ZIP = re.compile(r"^\s*(\d{3})\d{2}(?:[-\s]?\d{4})?\s*$")
_STUDY_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud without errors


def zip3(postal_code: str, restricted: frozenset[str] = RESTRICTED_ZIP3) -> str:
    """The first three digits of a US ZIP code, "000" for a restricted prefix, "" when the value is
    blank or not a US ZIP code (a foreign postal code is geography below state: never exported)."""
    match = _ZIP.match(postal_code or "")
    if match is None:
        return ""
    prefix = match.group(1)
    return "000" if prefix in restricted else prefix


def age_at(birth: date, on: date) -> int:
    """Completed years of age on ``on``."""
    if on < birth:
        raise ValueError("the date is before the date of birth")
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_label(age: int) -> str:
    """An age as exported: the number of years, or "90+" above 89."""
    if age < 0:
        raise ValueError("an age cannot be negative")
    return "90+" if age > AGE_TOP_CODE else str(age)


def days_from_index(when: date, index: date) -> int:
    """Whole days from the patient's index date (negative before it)."""
    return (when - index).days


def new_study_id(length: int = 10) -> str:
    """A random study id, e.g. "KC-7QHM2XWJ9P": drawn from ``secrets``, derived from nothing."""
    if length < 8:
        raise ValueError("a study id needs at least 8 random characters")
    return "KC-" + "".join(secrets.choice(_STUDY_ID_ALPHABET) for _ in range(length))
