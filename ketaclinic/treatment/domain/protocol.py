"""A treatment protocol version described as data (validation: ``validation.py``; JSON form:
``protocol_json.py``).

Pure module: no Django import. The Django side stores each protocol version as the JSON dict
produced by :func:`protocol_to_dict` and reads it back with :func:`protocol_from_dict`, which is
strict: unknown keys, missing keys and values of the wrong type are refused with an error naming
the field (``schedule[1].frequency.sessions``) and what it accepts.

Clinical facts cited here refer to ``shared/domain/clinical.md`` and its source keys
(HCP, DailyMed, USMed, MIMS, Andrade17, ...).

Units are in the field names: ``_mg``, ``_mg_per_kg``, ``_minutes``, ``_mmhg``, ``_percent``,
``_bpm``. Quantities that must be exact (doses) are :class:`~decimal.Decimal`; in JSON they are
strings (``"0.5"``) so that no binary float ever touches a dose.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "DOSING_WEIGHT_MAX_KG",
    "DOSING_WEIGHT_MIN_KG",
    "LABEL_RULES_SPRAVATO_2024",
    "RATE_BASED",
    "ROUTES_BY_DRUG",
    "WEIGHT_BASED",
    "Anchor",
    "DeviceRule",
    "DischargeCriterion",
    "DoseBasis",
    "DoseRule",
    "Drug",
    "EscalationRule",
    "Frequency",
    "LabelRules",
    "Measure",
    "Phase",
    "PlannedMeasurement",
    "Protocol",
    "Route",
    "Source",
    "Thresholds",
]


class Drug(enum.StrEnum):
    RACEMIC_KETAMINE = "racemic_ketamine"
    ESKETAMINE = "esketamine"


class Route(enum.StrEnum):
    IV_INFUSION = "iv_infusion"
    IV_BOLUS = "iv_bolus"
    IM = "im"
    #: Subcutaneous injection: racemic ketamine for anxiety (Glue et al. 2017/2018; clinical.md 13).
    SUBCUTANEOUS = "subcutaneous"
    ORAL = "oral"
    INTRANASAL_RACEMIC = "intranasal_racemic"
    ESKETAMINE_NASAL = "esketamine_nasal"


#: Which routes each drug can be given by in this software. Esketamine exists here only as the
#: SPRAVATO nasal device [HCP; NDC]; racemic ketamine never comes as that device.
ROUTES_BY_DRUG: Mapping[Drug, frozenset[Route]] = {
    Drug.ESKETAMINE: frozenset({Route.ESKETAMINE_NASAL}),
    Drug.RACEMIC_KETAMINE: frozenset(set(Route) - {Route.ESKETAMINE_NASAL}),
}


class DoseBasis(enum.StrEnum):
    """How the dose rule's numbers are expressed."""

    MG_PER_KG = "mg_per_kg"  # a weight-based dose for the whole session
    FIXED_MG = "fixed_mg"  # a fixed dose (esketamine devices, fixed oral doses)
    MG_PER_KG_PER_HOUR = "mg_per_kg_per_hour"  # an infusion rate (CRPS: 0.35 mg/kg/h [Cohen 2018])
    MG_PER_HOUR = "mg_per_hour"  # a fixed infusion rate (CRPS: 22 mg/h [Cohen 2018])

    @property
    def unit(self) -> str:
        """The unit people read: ``mg/kg``, ``mg``, ``mg/kg/h``, ``mg/h``."""
        return _BASIS_UNITS[self]


_BASIS_UNITS = {
    DoseBasis.MG_PER_KG: "mg/kg",
    DoseBasis.FIXED_MG: "mg",
    DoseBasis.MG_PER_KG_PER_HOUR: "mg/kg/h",
    DoseBasis.MG_PER_HOUR: "mg/h",
}


#: Plausible adult weights for dosing; outside this the number is a typing error, not a patient.
#: Ceilings are checked against the whole range (``ceilings.py``), so a protocol that passes
#: them passes them for every patient that can be dosed.
DOSING_WEIGHT_MIN_KG = Decimal("20")
DOSING_WEIGHT_MAX_KG = Decimal("350")

WEIGHT_BASED = frozenset({DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR})
RATE_BASED = frozenset({DoseBasis.MG_PER_KG_PER_HOUR, DoseBasis.MG_PER_HOUR})


class Measure(enum.StrEnum):
    """Coded things measured during a session (mapped to LOINC on the Django side)."""

    BLOOD_PRESSURE = "blood_pressure"
    HEART_RATE = "heart_rate"
    SPO2 = "spo2"
    RESPIRATORY_RATE = "respiratory_rate"
    MOAA_S = "moaa_s"  # Modified Observer's Assessment of Alertness/Sedation, 0-5 [USMed; Label]
    CADSS = "cadss"  # Clinician-Administered Dissociative States Scale [Label]
    BPRS_PLUS = "bprs_plus"  # BPRS positive-symptom items (clinical.md section 8.3)
    PAIN_NRS = "pain_nrs"  # 0-10 numeric rating scale for pain programmes [IMMPACT]
    IV_SITE = "iv_site"  # IV-site check (ketaminesoftware.com guide, clinical.md section 7)
    NOTE = "note"  # free-text observation


class Anchor(enum.StrEnum):
    """What a planned measurement's minute counts from."""

    PRE_DOSE = "pre_dose"  # before dosing starts; ``minute`` must be 0
    DOSE_START = "dose_start"  # ``minute`` after the first device or the start of the infusion
    BEFORE_DISCHARGE = "before_discharge"  # the last check before the patient leaves; minute 0


@dataclass(frozen=True, slots=True)
class Source:
    """A citation: the short key of clinical.md and what it supports."""

    key: str
    supports: str


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """``dose_mg`` may be given only after at least one earlier dose of ``requires_prior_mg``."""

    dose_mg: Decimal
    requires_prior_mg: Decimal


@dataclass(frozen=True, slots=True)
class DoseRule:
    """The dose: its basis, usual value, allowed range and absolute cap.

    ``usual``, ``minimum``, ``maximum`` and ``cap`` are in the unit of ``basis``. A dose outside
    [minimum, maximum] needs a prescriber override with a reason; a dose above ``cap`` is refused.
    ``cap_total_mg`` additionally caps the total mg of one session whatever the weight (optional).
    ``fixed_doses_mg`` lists the only doses allowed (esketamine: 56 and 84 mg [HCP]); empty = any.
    ``cap_rate_mg_per_h`` caps the infusion rate of a rate-based dose whatever the weight: the
    computed rate is lowered to it and the page shows the cap beside the rate (CRPS: 0.35 mg/kg/h,
    not to exceed 25 mg/h [Schwartzman 2009]; clinical.md section 12).
    """

    basis: DoseBasis
    usual: Decimal
    minimum: Decimal
    maximum: Decimal
    cap: Decimal
    cap_total_mg: Decimal | None = None
    fixed_doses_mg: tuple[Decimal, ...] = ()
    first_dose_mg: Decimal | None = None
    escalations: tuple[EscalationRule, ...] = ()
    max_weight_age_days: int = 30
    cap_rate_mg_per_h: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DeviceRule:
    """Nasal doses timed at the chair, one by one: esketamine devices (mg per device and the rest
    between devices [NDC; MIMS]) or intranasal racemic sprays (``unit`` "spray": 10 mg sprays
    5 min apart from a 100 mg/mL solution, Lapidus et al. 2014; clinical.md 13).

    ``unit`` names one dose unit on the page ("device" or "spray"); ``concentration_mg_per_ml``
    is the solution a spray is drawn from (None for the esketamine device, a sealed product).
    Both are newer fields: a stored version without them reads as an esketamine device.
    """

    mg_per_device: Decimal
    minutes_between_devices: int
    unit: str = "device"
    concentration_mg_per_ml: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Frequency:
    """``sessions`` sessions every ``per_weeks`` weeks.

    2 per 1 week = twice weekly; 1 per 2 weeks = every two weeks.
    """

    sessions: int
    per_weeks: int = 1


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase of the course (induction, optimisation, maintenance, ...).

    ``length_weeks`` None means open-ended (maintenance). ``session_count`` caps the sessions of the
    phase (IV racemic: six). ``alternatives`` are other frequencies the prescriber may choose
    (TRD maintenance: weekly or every two weeks [HCP]). ``dose_options_mg`` lists the fixed doses
    allowed in this phase (empty = the dose rule's).
    """

    code: str
    name: str
    frequency: Frequency
    length_weeks: int | None
    session_count: int | None = None
    alternatives: tuple[Frequency, ...] = ()
    dose_options_mg: tuple[Decimal, ...] = ()
    min_days_between_sessions: int = 1
    #: An ascending-dose phase: the dose of the phase's 1st, 2nd, ... session, in the unit of the
    #: dose rule's basis (anxiety, SC: 0.25, 0.5, 1 mg/kg about a week apart, Glue et al.,
    #: J Psychopharmacol 2017;31:1302). Empty: the rule's usual dose. ``session_count`` must
    #: equal the number of steps.
    dose_steps: tuple[Decimal, ...] = ()
    #: The code of an earlier ascending-dose phase: this phase's dose is one of that phase's
    #: steps, the one that worked, chosen by the prescriber (maintenance at the responding dose,
    #: Glue et al. 2018). Empty: the rule's usual dose.
    dose_from_steps_of: str = ""


@dataclass(frozen=True, slots=True)
class PlannedMeasurement:
    measure: Measure
    anchor: Anchor
    minute: int = 0


@dataclass(frozen=True, slots=True)
class FollowUpRating:
    """A rating scale asked for some days after each dose, not before the next session (OCD:
    the Y-BOCS again one week after the infusion, Rodriguez et al., Neuropsychopharmacology
    2013;38:2475). ``early_days`` and ``late_days`` bound when a rating still counts as this
    follow-up: **unverified** project defaults (the trial rated at day 7; no source gives a
    window), settings of the protocol version."""

    scale: str
    days_after_dose: int
    early_days: int = 1
    late_days: int = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Hold and alert thresholds. Every one is a setting of the protocol version.

    Pre-dose BP above (systolic OR diastolic) the maximum: dosing needs a prescriber's recorded
    decision. Rise from pre-dose baseline at or above ``bp_rise_*``: alert. SpO2 below
    ``spo2_min_percent`` or dropped by ``spo2_drop_percent`` points from baseline: alert.
    Heart rate outside [min, max]: alert. Respiratory rate below
    ``respiratory_rate_min_per_min``: critical alert (respiratory depression in sedation studies
    is < 8-10/min; esketamine boxed warning and REMS goal, SPL v18 2026-03-13; clinical.md 12).
    The absolute limits of ``domain/vitals.py`` apply whatever these say.
    """

    predose_systolic_max_mmhg: int
    predose_diastolic_max_mmhg: int
    bp_rise_systolic_mmhg: int
    bp_rise_diastolic_mmhg: int
    spo2_min_percent: int
    spo2_drop_percent: int
    heart_rate_min_bpm: int
    heart_rate_max_bpm: int
    # Default 8/min (clinical.md 12); a stored version without it reads as 8.
    respiratory_rate_min_per_min: int = 8


@dataclass(frozen=True, slots=True)
class DischargeCriterion:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Protocol:
    """One protocol version. Changing any field makes a new version (the Django side numbers it)."""

    code: str
    title: str
    drug: Drug
    route: Route
    indication: str
    dose: DoseRule
    schedule: tuple[Phase, ...]
    monitoring: tuple[PlannedMeasurement, ...]
    thresholds: Thresholds
    min_observation_minutes: int
    discharge_criteria: tuple[DischargeCriterion, ...]
    pre_session_scales: tuple[str, ...]
    sources: tuple[Source, ...]
    infusion_minutes: int | None = None
    devices: DeviceRule | None = None
    rems_required: bool = False
    off_label: bool = False
    experimental: bool = False
    notes: str = ""
    #: The course must record the oral antidepressant given with it (esketamine MDSI: "in
    #: conjunction with an oral antidepressant" [HCP]; clinical.md section 12).
    requires_oral_antidepressant: bool = False
    #: The minimum observation for a patient with moderate hepatic impairment (Child-Pugh B):
    #: the esketamine PI 8.6 says such patients "may need longer monitoring" (clinical.md 12).
    #: None: the protocol's ``min_observation_minutes`` applies to every patient.
    min_observation_minutes_moderate_hepatic: int | None = None
    #: Ratings asked for after each dose (OCD: the Y-BOCS at one week). Empty: none.
    follow_up_ratings: tuple[FollowUpRating, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelRules:
    """Dated regulatory rules that protocols are validated against (versioned, never constants).

    clinical.md section 2: "REMS rules, PMF layouts and observation times are versioned, dated
    configuration, never code constants." A new label or REMS update is a new instance.
    """

    name: str
    effective_from: dt.date
    esketamine_min_observation_minutes: int
    esketamine_mg_per_device: Decimal
    esketamine_minutes_between_devices: int
    pmf_deadline_days: int
    sources: tuple[Source, ...] = ()


#: SPRAVATO label/REMS as summarised in clinical.md (REMS@FDA "last update 12/31/2024").
LABEL_RULES_SPRAVATO_2024 = LabelRules(
    name="SPRAVATO label and REMS (REMS@FDA update 2024-12-31)",
    effective_from=dt.date(2024, 12, 31),
    esketamine_min_observation_minutes=120,  # >= 2 h every session, boxed warning [DailyMed; REMS]
    esketamine_mg_per_device=Decimal("28"),  # one device = 28 mg (0.2 mL) [NDC]
    esketamine_minutes_between_devices=5,  # 5 min rest between devices [MIMS; DrOracle]
    pmf_deadline_days=7,  # PMF after every session, within 7 days [spravatorems.com; PMF]
    sources=(
        Source("DailyMed", ">= 2 h observation every session"),
        Source("NDC", "28 mg per device"),
        Source("MIMS", "5 minutes between devices"),
        Source("REMS", "PMF within 7 days of each outpatient session"),
    ),
)


def format_values(values: Iterable[object]) -> str:
    """``[a, b, c]``: the allowed values as a refusal message names them."""
    return "[" + ", ".join(str(v) for v in values) + "]"
