"""Words for code names: the one place that turns a code (``cssrs_screener``, ``blood_pressure``,
``mg_per_kg``, ``takes_maois``, ``PT15M``) into what a person reads on a page or in a message.

Pure (no Django): services, selectors and pure domain code may call ``label`` and ``duration``;
templates use the ``human`` and ``duration`` filters (``core/templatetags/ketaclinic_tags.py``).
An unknown code falls back to its words with the underscores removed and the first letter
capitalised, never the raw code; add the code here when the fallback reads badly.
"""

from __future__ import annotations

import re

__all__ = ["LABELS", "PREFIXES", "UNITS", "duration", "label", "unit"]

# Scale codes, vital signs and ratings, dose bases, medication facts, roles and states.
LABELS: dict[str, str] = {
    # rating scales (scales/scoring)
    "cssrs_screener": "C-SSRS screener",
    "phq9": "PHQ-9",
    "bpi_sf": "BPI short form",
    "cgi_i": "CGI-I",
    "cgi_s": "CGI-S",
    "hamd17": "HAM-D 17",
    "moaas": "MOAA/S",
    "nrs_pain": "Pain NRS",
    "pcl5": "PCL-5",
    "ybocs": "Y-BOCS",
    "gad7": "GAD-7",
    "madrs": "MADRS",
    "qids_sr16": "QIDS-SR16",
    "cadss": "CADSS",
    "bprs": "BPRS",
    "moaa_s": "MOAA/S",
    "pain_nrs": "Pain NRS",
    # vital signs
    "blood_pressure": "Blood pressure",
    "heart_rate": "Heart rate",
    "spo2": "SpO2",
    "respiratory_rate": "Respiratory rate",
    "systolic_mmhg": "Systolic (mmHg)",
    "diastolic_mmhg": "Diastolic (mmHg)",
    "temperature": "Temperature",
    # medication facts (REMS Patient Monitoring Form, patients.Medication flags)
    "takes_benzodiazepines": "Takes a benzodiazepine",
    "takes_non_benzodiazepine_sedative_hypnotics": "Takes a non-benzodiazepine sedative-hypnotic",
    "takes_psychostimulants": "Takes a psychostimulant",
    "takes_maois": "Takes an MAOI",
    "is_benzodiazepine": "Benzodiazepine",
    "is_maoi": "MAOI",
    "is_psychostimulant": "Psychostimulant",
    "hcp_name": "Monitoring healthcare provider",
    "hcp_phone": "Provider phone",
    "hcp_email": "Provider email",
    "lot_number": "Lot number",
    "expiry_date": "Expiry date",
    "discharge_note": "Discharge note",
    "escort": "Escort or ride home",
    # roles
    "front_desk": "Front desk",
    "inventory_manager": "Inventory manager",
    "clinic_admin": "Clinic admin",
    # drugs and routes (treatment/domain/protocol.py)
    "racemic_ketamine": "Racemic ketamine",
    "esketamine": "Esketamine",
    "iv_infusion": "IV infusion",
    "iv_bolus": "IV bolus",
    "im": "Intramuscular",
    "oral": "Oral",
    "intranasal_racemic": "Intranasal (racemic ketamine)",
    "esketamine_nasal": "Esketamine nasal spray",
    # session phases and states
    "checked_in": "Checked in",
    "in_progress": "In progress",
    "pre_dose": "Before the dose",
    "before_discharge": "Before discharge",
    "dose_start": "Dose start",
    "entered_in_error": "Entered in error",
}

# Dose bases and units: code -> symbol.
UNITS: dict[str, str] = {
    "mg_per_kg": "mg/kg",
    "mg_per_kg_per_hour": "mg/kg/h",
    "mg_per_kg_per_session": "mg/kg per session",
    "mg_per_hour": "mg/h",
    "fixed_mg": "mg",
    "mg": "mg",
    "ml": "mL",
    "kg": "kg",
    "lb": "lb",
    "cm": "cm",
    "mmhg": "mmHg",
    "percent": "%",
    "bpm": "beats/min",
    "ng_per_ml": "ng/mL",
}

# Prefixes of dotted field paths (``rems.takes_maois``, ``dose.lot_number``).
PREFIXES: dict[str, str] = {"rems": "REMS form", "dose": "Dose", "checklist": "Checklist"}

_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def label(code: object) -> str:
    """The words for ``code`` (an enum member or its value). Empty stays empty."""
    key = str(getattr(code, "value", code) if code is not None else "")
    if not key:
        return ""
    if key in LABELS:
        return LABELS[key]
    if key in UNITS:
        return UNITS[key]
    head, dot, tail = key.partition(".")
    if dot and tail:
        return f"{PREFIXES.get(head) or label(head)}: {label(tail)}"
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def unit(code: object) -> str:
    """A unit or dose basis as its symbol: ``mg_per_kg`` -> ``mg/kg``."""
    key = str(getattr(code, "value", code) if code is not None else "")
    return UNITS.get(key, key.replace("_per_", "/").replace("_", " "))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def duration(value: object) -> str:
    """An ISO 8601 duration (``PT15M``, ``P1DT2H``) or a number of minutes in words:
    ``15 minutes``, ``1 day 2 hours``. Text that is neither is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        total = round(float(value) * 60)
    elif hasattr(value, "total_seconds"):
        total = round(value.total_seconds())
    else:
        match = _ISO_DURATION.match(str(value).strip())
        if not match or not any(match.groupdict().values()):
            return str(value)
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        total = ((parts["days"] * 24 + parts["hours"]) * 60 + parts["minutes"]) * 60
        total += parts["seconds"]
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    words = [
        _plural(n, w)
        for n, w in ((days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))
        if n
    ]
    return " ".join(words) if words else "0 minutes"
