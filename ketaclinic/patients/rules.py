"""Pure plausibility rules for registry entries (no Django import). Each returns None when the value is
acceptable, else a message naming the field and the allowed values."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

import phonenumbers

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


def search_key(*parts: str) -> str:
    """The form of a name that search compares: case folded for any script (``str.casefold``:
    "ÉLODIE" and "élodie", "ΣΟΦΊΑ" and "σοφία", "ДМИТРИЙ" and "дмитрий"), accents dropped
    (Unicode NFKD, then combining marks removed, so "elodie" finds "Élodie") and spaces collapsed.
    SQLite's LIKE and lower() fold ASCII only, so the registry stores this key beside the name
    (``Patient.search_name``) and search compares keys."""
    text = " ".join(parts).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def not_before_birth(when: date, dob: date, field_label: str) -> str | None:
    """A clinical date (a diagnosis, a medication start or stop, a measurement) is not before the
    patient's date of birth (issue 14, finding 11)."""
    if when < dob:
        return (
            f"{field_label} ({when.isoformat()}) cannot be before the date of birth "
            f"({dob.isoformat()})."
        )
    return None


# Phone numbers: parsed and validated by Google's libphonenumber rules (the ``phonenumbers``
# package). A number without a leading + is read in the clinic's region; stored as E.164.
DEFAULT_PHONE_REGION = "US"


def phone_e164(text: str, region: str = DEFAULT_PHONE_REGION) -> tuple[str, str | None]:
    """``(stored value, problem)``: a blank stays blank; a valid number becomes E.164
    ("+12125550143"); anything else gives a message with an example number of ``region``."""
    text = text.strip()
    if not text:
        return "", None
    region = (region or DEFAULT_PHONE_REGION).upper()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None
    example = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ) or phonenumbers.example_number(DEFAULT_PHONE_REGION)
    shown = (
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if example is not None
        else "+1 201-555-0123"
    )
    return text, (
        f"Enter a real phone number, for example {shown} (a number from another country starts "
        f"with + and its country code)."
    )
