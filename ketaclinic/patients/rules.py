"""Pure plausibility rules for registry entries (no Django import). Each returns None when the value is
acceptable, else a message naming the field and the allowed values."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ketaclinic.lib.units import kg_to_lb

MIN_WEIGHT_KG = Decimal("20")
MAX_WEIGHT_KG = Decimal("400")
MIN_HEIGHT_CM = Decimal("50")
MAX_HEIGHT_CM = Decimal("250")
MAX_AGE_YEARS = 120
# ICD-10-CM: a letter, two characters (digit, digit or letter), optional dot and up to four more.
_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def date_of_birth_problem(dob: date, today: date) -> str | None:
    if dob > today:
        return f"Date of birth cannot be in the future (today is {today.isoformat()})."
    earliest = date(today.year - MAX_AGE_YEARS, 1, 1)
    if dob < earliest:
        return f"Date of birth must be on or after {earliest.isoformat()} (age at most 120 years)."
    return None


def weight_problem(kg: Decimal) -> str | None:
    if not MIN_WEIGHT_KG <= kg <= MAX_WEIGHT_KG:
        return (
            f"Weight must be between {MIN_WEIGHT_KG} and {MAX_WEIGHT_KG} kg "
            f"({kg_to_lb(MIN_WEIGHT_KG)}-{kg_to_lb(MAX_WEIGHT_KG)} lb); {kg} kg was entered."
        )
    return None


def height_problem(cm: Decimal) -> str | None:
    if not MIN_HEIGHT_CM <= cm <= MAX_HEIGHT_CM:
        return (
            f"Height must be between {MIN_HEIGHT_CM} and {MAX_HEIGHT_CM} cm; {cm} cm was entered."
        )
    return None


def icd10_problem(code: str) -> str | None:
    if not _ICD10.match(code):
        return (
            "ICD-10-CM code must look like F33.2 or G90.5 (a letter, two digits, optionally a dot "
            "and up to four more characters)."
        )
    return None


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"))


def age_on(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
