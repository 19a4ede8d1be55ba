"""Typed amendments of a signed session (issue 14, finding 2). Pure: no Django.

Each amendable field (``record.AMENDABLE_FIELDS``) has a kind and the limits it has at entry:
blood pressure within ``monitoring.PLAUSIBLE_RANGES``, dates real and (where it applies) not in
the future and not before the patient's birth, minutes bounded, the REMS dose one of the form's
options. ``parse_amendment`` turns the typed text into the value stored in the amendment (JSON:
str, int, bool, ISO date or None) or raises ``AmendmentError`` naming the field and the allowed
values. A blank PMF answer is "not answered" (None), never "No".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
from typing import Any

from ketaclinic.treatment.domain import monitoring, rems
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS


class AmendmentError(ValueError):
    """A typed value that the field does not accept; the message names the field."""


class Kind(enum.Enum):
    TEXT = "text"
    LONG_TEXT = "long text"
    DATE = "date"
    INTEGER = "whole number"
    YES_NO = "yes or no"
    CHOICE = "choice"


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: Kind
    required: bool = False  # blank refused (else blank = not answered)
    max_length: int = 200
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    not_in_future: bool = False
    not_before_birth: bool = False


#: Minutes on the PMF are bounded by one day (project bound: a session lasts hours, never a day).
MAX_MINUTES = 24 * 60
#: Esketamine's labelled doses are 56 and 84 mg per session [HCP]; an "other" dose is below 84.
MAX_OTHER_DOSE_MG = 84
#: Dates typed on a record lie after this (a birth date or an expiry before it is mis-keyed).
EARLIEST_DATE = dt.date(1900, 1, 1)
#: An expiry date lies at most this far ahead (project bound; kits expire within a few years).
EXPIRY_HORIZON_YEARS = 10

_BP_FIELD = re.compile(r"^bp_.*_(systolic|diastolic)_mmhg$")
_MINUTES = {"total_monitoring_minutes", "minutes_until_ready_without_rule"}
_DOSE_CHOICES = (("56", "56 mg"), ("84", "84 mg"), ("other", "Other dose"))
# The PMF holds the patient record's sex label (selectors.signing.pmf_facts).
_SEX_CHOICES = tuple((v, v) for v in ("Female", "Male", "Intersex", "Unknown"))


def _range_spec(name: str, label: str, measure: str) -> FieldSpec:
    lo, hi, unit = monitoring.PLAUSIBLE_RANGES[measure]
    return FieldSpec(name, label, Kind.INTEGER, minimum=lo, maximum=hi, unit=unit)


def _pmf_spec(f: dataclasses.Field[Any], label: str) -> FieldSpec:
    name = f"rems.{f.name}"
    hint = str(f.type)
    bp = _BP_FIELD.match(f.name)
    special: dict[str, FieldSpec] = {
        "lowest_spo2_percent": _range_spec(name, label, "spo2"),
        "dose_other_mg": FieldSpec(
            name, label, Kind.INTEGER, minimum=1, maximum=MAX_OTHER_DOSE_MG - 1, unit="mg"
        ),
        "dose": FieldSpec(name, label, Kind.CHOICE, choices=_DOSE_CHOICES),
        "patient_sex": FieldSpec(name, label, Kind.CHOICE, choices=_SEX_CHOICES),
        **{
            m: FieldSpec(name, label, Kind.INTEGER, minimum=0, maximum=MAX_MINUTES, unit="min")
            for m in _MINUTES
        },
    }
    if bp:
        spec = _range_spec(name, label, f"{bp.group(1)}_mmhg")
    elif f.name in special:
        spec = special[f.name]
    elif "bool" in hint:
        spec = FieldSpec(name, label, Kind.YES_NO)
    elif "dt.date" in hint:
        spec = FieldSpec(
            name,
            label,
            Kind.DATE,
            not_in_future=True,
            not_before_birth=f.name != "patient_date_of_birth",
        )
    elif "int" in hint:
        spec = FieldSpec(name, label, Kind.INTEGER, minimum=0, maximum=10_000)
    else:
        spec = FieldSpec(name, label, Kind.TEXT, max_length=200)
    return spec


def _specs() -> dict[str, FieldSpec]:
    specs = {
        "escort": FieldSpec("escort", AMENDABLE_FIELDS["escort"], Kind.TEXT, required=True),
        "discharge_note": FieldSpec(
            "discharge_note", AMENDABLE_FIELDS["discharge_note"], Kind.LONG_TEXT, max_length=5000
        ),
        "dose.product": FieldSpec(
            "dose.product", AMENDABLE_FIELDS["dose.product"], Kind.TEXT, required=True
        ),
        "dose.lot_number": FieldSpec(
            "dose.lot_number",
            AMENDABLE_FIELDS["dose.lot_number"],
            Kind.TEXT,
            required=True,
            max_length=64,
        ),
        "dose.expiry_date": FieldSpec(
            "dose.expiry_date", AMENDABLE_FIELDS["dose.expiry_date"], Kind.DATE, required=True
        ),
    }
    for f in dataclasses.fields(rems.PatientMonitoringForm):
        name = f"rems.{f.name}"
        specs[name] = _pmf_spec(f, rems.FIELD_LABELS.get(f.name, AMENDABLE_FIELDS[name]))
    missing = set(AMENDABLE_FIELDS) - set(specs)
    if missing:  # pragma: no cover - a new amendable field needs a spec
        raise RuntimeError(f"amendable fields without a spec: {sorted(missing)}")
    return specs


#: Every amendable field's spec, keyed as ``AMENDABLE_FIELDS``.
SPECS: dict[str, FieldSpec] = _specs()


def _parse_date(spec: FieldSpec, text: str, today: dt.date, birth: dt.date | None) -> str:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise AmendmentError(
            f"{spec.label}: {text!r} is not a date; give a real date as YYYY-MM-DD."
        ) from None
    latest = today if spec.not_in_future else today.replace(year=today.year + EXPIRY_HORIZON_YEARS)
    earliest = EARLIEST_DATE
    if spec.not_before_birth and birth is not None:
        earliest = max(earliest, birth)
    if not earliest <= value <= latest:
        raise AmendmentError(
            f"{spec.label}: {value.isoformat()} is outside the allowed dates "
            f"{earliest.isoformat()} to {latest.isoformat()}."
        )
    return value.isoformat()


def _parse_int(spec: FieldSpec, text: str) -> int:
    lo, hi = spec.minimum, spec.maximum
    allowed = f"a whole number from {lo} to {hi}{' ' + spec.unit if spec.unit else ''}"
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise AmendmentError(f"{spec.label}: {text[:40]!r} is not {allowed}.")
    value = int(text)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise AmendmentError(f"{spec.label}: {value} is outside the allowed range; give {allowed}.")
    return value


def _parse_yes_no(spec: FieldSpec, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("yes", "true"):
        return True
    if lowered in ("no", "false"):
        return False
    raise AmendmentError(f"{spec.label}: answer yes or no (or leave blank: not answered).")


def _parse_choice(spec: FieldSpec, text: str) -> str:
    if text not in [c for c, _ in spec.choices]:
        allowed = ", ".join(label for _, label in spec.choices)
        raise AmendmentError(f"{spec.label}: choose one of {allowed}.")
    return text


def _parse_text(spec: FieldSpec, text: str) -> str:
    if len(text) > spec.max_length:
        raise AmendmentError(
            f"{spec.label}: at most {spec.max_length} characters ({len(text)} given)."
        )
    return text


def parse_amendment(
    field: str, raw: str, *, today: dt.date, birth_date: dt.date | None = None
) -> Any:
    """The value to store for ``field`` typed as ``raw``, or ``AmendmentError``."""
    spec = SPECS.get(field)
    if spec is None:
        raise AmendmentError(f"Field: {field[:60]!r} cannot be amended.")
    if "\x00" in raw:
        # PostgreSQL cannot store a NUL character in text or jsonb, and no keyboard types one
        # (Django's form fields refuse it the same way: ProhibitNullCharactersValidator).
        raise AmendmentError(f"{spec.label}: contains a null character, which is not allowed.")
    text = raw.strip()
    if not text:
        if spec.required:
            raise AmendmentError(f"{spec.label}: required.")
        # A blank session text is empty; a blank PMF answer is "not answered".
        return None if field.startswith("rems.") else ""
    parsers: dict[Kind, Any] = {
        Kind.TEXT: lambda: _parse_text(spec, text),
        Kind.LONG_TEXT: lambda: _parse_text(spec, text),
        Kind.DATE: lambda: _parse_date(spec, text, today, birth_date),
        Kind.INTEGER: lambda: _parse_int(spec, text),
        Kind.YES_NO: lambda: _parse_yes_no(spec, text),
        Kind.CHOICE: lambda: _parse_choice(spec, text),
    }
    return parsers[spec.kind]()


__all__ = [
    "EARLIEST_DATE",
    "MAX_MINUTES",
    "MAX_OTHER_DOSE_MG",
    "SPECS",
    "AmendmentError",
    "FieldSpec",
    "Kind",
    "parse_amendment",
]
