"""A treatment protocol version described as data, its validation and its JSON form.

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

import dataclasses
import datetime as dt
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
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
    "ProtocolError",
    "ProtocolParseError",
    "Route",
    "Source",
    "Thresholds",
    "protocol_from_dict",
    "protocol_to_dict",
    "validate_protocol",
]


class Drug(enum.StrEnum):
    RACEMIC_KETAMINE = "racemic_ketamine"
    ESKETAMINE = "esketamine"


class Route(enum.StrEnum):
    IV_INFUSION = "iv_infusion"
    IV_BOLUS = "iv_bolus"
    IM = "im"
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


@dataclass(frozen=True, slots=True)
class DeviceRule:
    """Esketamine nasal devices: mg per device and the rest between devices [NDC; MIMS]."""

    mg_per_device: Decimal
    minutes_between_devices: int


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


@dataclass(frozen=True, slots=True)
class PlannedMeasurement:
    measure: Measure
    anchor: Anchor
    minute: int = 0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Hold and alert thresholds. Every one is a setting of the protocol version.

    Pre-dose BP above (systolic OR diastolic) the maximum: dosing needs a prescriber's recorded
    decision. Rise from pre-dose baseline at or above ``bp_rise_*``: alert. SpO2 below
    ``spo2_min_percent`` or dropped by ``spo2_drop_percent`` points from baseline: alert.
    Heart rate outside [min, max]: alert.
    """

    predose_systolic_max_mmhg: int
    predose_diastolic_max_mmhg: int
    bp_rise_systolic_mmhg: int
    bp_rise_diastolic_mmhg: int
    spo2_min_percent: int
    spo2_drop_percent: int
    heart_rate_min_bpm: int
    heart_rate_max_bpm: int


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


# --------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """One reason a protocol is refused: the field and a message naming the allowed values."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _check_dose(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    d = p.dose
    errors: list[ProtocolError] = []
    for name in ("usual", "minimum", "maximum", "cap"):
        value: Decimal = getattr(d, name)
        if not value.is_finite() or value <= 0:
            errors.append(ProtocolError(f"dose.{name}", f"must be a number above 0, got {value}"))
    if errors:
        return errors
    if d.minimum > d.maximum:
        errors.append(
            ProtocolError(
                "dose.minimum",
                f"must not exceed dose.maximum ({d.maximum} {d.basis}), got {d.minimum}",
            )
        )
    if d.maximum > d.cap:
        errors.append(
            ProtocolError(
                "dose.maximum",
                f"allowed range ends at {d.maximum} {d.basis}, beyond the absolute cap "
                f"dose.cap = {d.cap} {d.basis}; allowed: at most {d.cap}",
            )
        )
    if not d.minimum <= d.usual <= d.maximum:
        errors.append(
            ProtocolError(
                "dose.usual",
                f"must lie within the allowed range {d.minimum}-{d.maximum} {d.basis}, "
                f"got {d.usual}",
            )
        )
    if d.cap_total_mg is not None and d.cap_total_mg <= 0:
        errors.append(ProtocolError("dose.cap_total_mg", "must be above 0 mg or absent"))
    if not 1 <= d.max_weight_age_days <= 365:
        errors.append(
            ProtocolError(
                "dose.max_weight_age_days",
                f"allowed 1-365 days, got {d.max_weight_age_days}",
            )
        )
    errors += _check_fixed_doses(d)
    if p.drug is Drug.ESKETAMINE:
        errors.extend(_check_esketamine_dose(p, rules))
    return errors


def _check_fixed_doses(d: DoseRule) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    if d.basis in WEIGHT_BASED and d.fixed_doses_mg:
        errors.append(
            ProtocolError(
                "dose.fixed_doses_mg",
                f"only for fixed doses (basis {DoseBasis.FIXED_MG}); basis is {d.basis}",
            )
        )
    for i, mg in enumerate(d.fixed_doses_mg):
        if not d.minimum <= mg <= d.maximum:
            errors.append(
                ProtocolError(
                    f"dose.fixed_doses_mg[{i}]",
                    f"must lie within the allowed range {d.minimum}-{d.maximum} mg, got {mg}",
                )
            )
    if d.first_dose_mg is not None and d.fixed_doses_mg and d.first_dose_mg not in d.fixed_doses_mg:
        errors.append(
            ProtocolError(
                "dose.first_dose_mg",
                f"must be one of dose.fixed_doses_mg {_fmt(d.fixed_doses_mg)}, "
                f"got {d.first_dose_mg}",
            )
        )
    for i, esc in enumerate(d.escalations):
        if esc.requires_prior_mg >= esc.dose_mg:
            errors.append(
                ProtocolError(
                    f"dose.escalations[{i}].requires_prior_mg",
                    f"must be below the escalated dose {esc.dose_mg} mg, "
                    f"got {esc.requires_prior_mg}",
                )
            )
    return errors


def _check_esketamine_dose(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    d = p.dose
    errors: list[ProtocolError] = []
    if d.basis is not DoseBasis.FIXED_MG:
        errors.append(
            ProtocolError(
                "dose.basis",
                f"esketamine is dosed in fixed mg (whole devices); allowed: {DoseBasis.FIXED_MG}",
            )
        )
    if p.devices is None:
        errors.append(
            ProtocolError(
                "devices",
                f"esketamine needs a device rule ({rules.esketamine_mg_per_device} mg per device, "
                f"{rules.esketamine_minutes_between_devices} min between devices)",
            )
        )
        return errors
    if p.devices.mg_per_device != rules.esketamine_mg_per_device:
        errors.append(
            ProtocolError(
                "devices.mg_per_device",
                f"allowed: {rules.esketamine_mg_per_device} mg ({rules.name}), "
                f"got {p.devices.mg_per_device}",
            )
        )
    if p.devices.minutes_between_devices < rules.esketamine_minutes_between_devices:
        errors.append(
            ProtocolError(
                "devices.minutes_between_devices",
                f"allowed: at least {rules.esketamine_minutes_between_devices} minutes "
                f"({rules.name}), got {p.devices.minutes_between_devices}",
            )
        )
    per = p.devices.mg_per_device
    named = [("dose.cap", d.cap), ("dose.maximum", d.maximum), ("dose.minimum", d.minimum)]
    named += [(f"dose.fixed_doses_mg[{i}]", mg) for i, mg in enumerate(d.fixed_doses_mg)]
    if d.first_dose_mg is not None:
        named.append(("dose.first_dose_mg", d.first_dose_mg))
    for fname, mg in named:
        if per > 0 and mg % per != 0:
            errors.append(
                ProtocolError(fname, f"must be a whole number of {per} mg devices, got {mg} mg")
            )
    return errors


def _check_route(p: Protocol) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    allowed = ROUTES_BY_DRUG[p.drug]
    if p.route not in allowed:
        errors.append(
            ProtocolError(
                "route",
                f"{p.drug} cannot be given by {p.route}; allowed: {_fmt(sorted(allowed))}",
            )
        )
    if p.route is Route.IV_INFUSION:
        if p.infusion_minutes is None or not 1 <= p.infusion_minutes <= 24 * 60:
            errors.append(
                ProtocolError(
                    "infusion_minutes",
                    f"an IV infusion needs a duration of 1-1440 minutes, got {p.infusion_minutes}",
                )
            )
    elif p.infusion_minutes is not None:
        errors.append(
            ProtocolError(
                "infusion_minutes",
                f"only for route {Route.IV_INFUSION}; must be empty for {p.route}",
            )
        )
    if p.dose.basis in RATE_BASED and p.route is not Route.IV_INFUSION:
        errors.append(
            ProtocolError(
                "dose.basis",
                f"rate-based dosing ({p.dose.basis}) needs route {Route.IV_INFUSION}",
            )
        )
    if p.devices is not None and p.drug is not Drug.ESKETAMINE:
        errors.append(ProtocolError("devices", "only for esketamine nasal devices; must be empty"))
    return errors


def _check_schedule(p: Protocol) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    if not p.schedule:
        errors.append(ProtocolError("schedule", "needs at least one phase"))
    codes: set[str] = set()
    for i, ph in enumerate(p.schedule):
        where = f"schedule[{i}]"
        if not ph.code:
            errors.append(ProtocolError(f"{where}.code", "must not be empty"))
        if ph.code in codes:
            errors.append(ProtocolError(f"{where}.code", f"duplicate phase code {ph.code!r}"))
        codes.add(ph.code)
        if ph.length_weeks is None and i != len(p.schedule) - 1:
            errors.append(
                ProtocolError(
                    f"{where}.length_weeks",
                    "only the last phase may be open-ended; give a length in weeks",
                )
            )
        errors += _check_phase(p, ph, where)
    return errors


def _check_phase(p: Protocol, ph: Phase, where: str) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    for j, fr in enumerate((ph.frequency, *ph.alternatives)):
        fwhere = f"{where}.frequency" if j == 0 else f"{where}.alternatives[{j - 1}]"
        if not 1 <= fr.per_weeks <= 12:
            errors.append(
                ProtocolError(f"{fwhere}.per_weeks", f"allowed 1-12 weeks, got {fr.per_weeks}")
            )
        days = 7 * max(fr.per_weeks, 1)
        if not 1 <= fr.sessions <= days:
            errors.append(
                ProtocolError(
                    f"{fwhere}.sessions",
                    f"allowed 1-{days} sessions per {fr.per_weeks} week(s), got {fr.sessions}",
                )
            )
    if ph.length_weeks is not None and not 1 <= ph.length_weeks <= 520:
        errors.append(
            ProtocolError(
                f"{where}.length_weeks",
                f"allowed 1-520 weeks or empty (open-ended), got {ph.length_weeks}",
            )
        )
    if ph.session_count is not None and ph.session_count < 1:
        errors.append(
            ProtocolError(f"{where}.session_count", f"allowed: 1 or more, got {ph.session_count}")
        )
    if not 0 <= ph.min_days_between_sessions <= 84:
        errors.append(
            ProtocolError(
                f"{where}.min_days_between_sessions",
                f"allowed 0-84 days, got {ph.min_days_between_sessions}",
            )
        )
    for k, mg in enumerate(ph.dose_options_mg):
        if p.dose.fixed_doses_mg and mg not in p.dose.fixed_doses_mg:
            errors.append(
                ProtocolError(
                    f"{where}.dose_options_mg[{k}]",
                    f"must be one of dose.fixed_doses_mg {_fmt(p.dose.fixed_doses_mg)}, got {mg}",
                )
            )
        elif not p.dose.minimum <= mg <= p.dose.maximum:
            errors.append(
                ProtocolError(
                    f"{where}.dose_options_mg[{k}]",
                    f"must lie within {p.dose.minimum}-{p.dose.maximum} mg, got {mg}",
                )
            )
    return errors


def _check_monitoring(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    for i, m in enumerate(p.monitoring):
        where = f"monitoring[{i}].minute"
        if m.anchor is Anchor.DOSE_START:
            if not 0 <= m.minute <= 24 * 60:
                errors.append(ProtocolError(where, f"allowed 0-1440 minutes, got {m.minute}"))
        elif m.minute != 0:
            errors.append(ProtocolError(where, f"must be 0 for anchor {m.anchor}, got {m.minute}"))
    measured_pre = {m.measure for m in p.monitoring if m.anchor is Anchor.PRE_DOSE}
    if Measure.BLOOD_PRESSURE not in measured_pre:
        # BP before dosing is the basis of the pre-dose hold and of every rise alert [HCP; MIMS].
        errors.append(
            ProtocolError("monitoring", "needs a pre_dose blood_pressure (the rise baseline)")
        )
    if p.drug is Drug.ESKETAMINE:
        # BP before dosing and ~40 min after [HCP; MIMS]; pulse oximetry each session [HCP].
        if not any(
            m.measure is Measure.BLOOD_PRESSURE and m.anchor is Anchor.DOSE_START and m.minute == 40
            for m in p.monitoring
        ):
            errors.append(
                ProtocolError("monitoring", "esketamine needs blood_pressure at dose_start+40 min")
            )
        if not any(m.measure is Measure.SPO2 for m in p.monitoring):
            errors.append(ProtocolError("monitoring", "esketamine needs spo2 (pulse oximetry)"))
    if p.min_observation_minutes < 0 or p.min_observation_minutes > 24 * 60:
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"allowed 0-1440 minutes, got {p.min_observation_minutes}",
            )
        )
    if (
        p.drug is Drug.ESKETAMINE
        and p.min_observation_minutes < rules.esketamine_min_observation_minutes
    ):
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"esketamine needs at least {rules.esketamine_min_observation_minutes} minutes "
                f"({rules.name}); allowed: {rules.esketamine_min_observation_minutes} or more, "
                f"got {p.min_observation_minutes}",
            )
        )
    if p.infusion_minutes is not None and p.min_observation_minutes < p.infusion_minutes:
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"must cover the infusion ({p.infusion_minutes} min), "
                f"got {p.min_observation_minutes}",
            )
        )
    return errors


def _check_thresholds(t: Thresholds) -> list[ProtocolError]:
    bounds: dict[str, tuple[int, int]] = {
        "predose_systolic_max_mmhg": (80, 250),
        "predose_diastolic_max_mmhg": (40, 150),
        "bp_rise_systolic_mmhg": (5, 100),
        "bp_rise_diastolic_mmhg": (5, 100),
        "spo2_min_percent": (70, 99),
        "spo2_drop_percent": (1, 30),
        "heart_rate_min_bpm": (20, 100),
        "heart_rate_max_bpm": (60, 250),
    }
    errors: list[ProtocolError] = []
    for name, (lo, hi) in bounds.items():
        value: int = getattr(t, name)
        if not lo <= value <= hi:
            errors.append(ProtocolError(f"thresholds.{name}", f"allowed {lo}-{hi}, got {value}"))
    if t.predose_diastolic_max_mmhg >= t.predose_systolic_max_mmhg:
        errors.append(
            ProtocolError(
                "thresholds.predose_diastolic_max_mmhg",
                "must be below thresholds.predose_systolic_max_mmhg",
            )
        )
    if t.heart_rate_min_bpm >= t.heart_rate_max_bpm:
        errors.append(
            ProtocolError(
                "thresholds.heart_rate_min_bpm", "must be below thresholds.heart_rate_max_bpm"
            )
        )
    return errors


def validate_protocol(
    p: Protocol, rules: LabelRules = LABEL_RULES_SPRAVATO_2024
) -> list[ProtocolError]:
    """Every reason ``p`` cannot be used; an empty list means it is valid.

    Checks impossibilities (a range beyond its cap, an esketamine observation below the label's
    minimum, a drug given by a route it has no product for, a phase with more sessions than days)
    rather than clinical wisdom: those choices stay with the clinic.
    """
    errors: list[ProtocolError] = []
    if not p.code:
        errors.append(ProtocolError("code", "must not be empty"))
    if not p.indication:
        errors.append(ProtocolError("indication", "must not be empty (a configurable code)"))
    if not p.sources:
        errors.append(ProtocolError("sources", "cite at least one source for the protocol"))
    if p.rems_required and p.drug is not Drug.ESKETAMINE:
        errors.append(ProtocolError("rems_required", "the SPRAVATO REMS applies to esketamine"))
    if p.drug is Drug.ESKETAMINE and not p.rems_required:
        # Outpatient settings file a PMF after every session [REMS].
        errors.append(ProtocolError("rems_required", "must be true for esketamine"))
    codes = [c.code for c in p.discharge_criteria]
    if len(set(codes)) != len(codes):
        errors.append(ProtocolError("discharge_criteria", "criterion codes must be unique"))
    errors += _check_route(p)
    errors += _check_dose(p, rules)
    errors += _check_schedule(p)
    errors += _check_monitoring(p, rules)
    errors += _check_thresholds(p.thresholds)
    return errors


def _fmt(values: typing.Iterable[object]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


# --------------------------------------------------------------------------------------------
# JSON dicts


class ProtocolParseError(ValueError):
    """A stored or submitted protocol dict that does not describe a protocol."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def protocol_to_dict(p: Protocol) -> dict[str, Any]:
    """A JSON-compatible dict (Decimals as strings, enums as their values)."""
    result = _dump(p)
    assert isinstance(result, dict)  # noqa: S101 - a dataclass always dumps to a dict
    return result


def protocol_from_dict(data: object) -> Protocol:
    """Parse a dict made by :func:`protocol_to_dict`; raises :class:`ProtocolParseError`."""
    result: Protocol = _load(Protocol, data, "")
    return result


def _dump(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _load(tp: Any, data: object, path: str) -> Any:
    where = path or "protocol"
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if data is None else _load(args[0], data, path)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if not isinstance(data, list):
            raise ProtocolParseError(where, f"expected a list, got {type(data).__name__}")
        return tuple(_load(item_tp, v, f"{where}[{i}]") for i, v in enumerate(data))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _load_dataclass(tp, data, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        allowed = [m.value for m in tp]
        if data not in allowed:
            raise ProtocolParseError(where, f"got {data!r}; allowed: {_fmt(allowed)}")
        return tp(data)
    return _load_scalar(tp, data, where)


def _load_dataclass(tp: type[Any], data: object, path: str) -> Any:
    if not isinstance(data, dict):
        raise ProtocolParseError(
            path or "protocol", f"expected an object, got {type(data).__name__}"
        )
    hints = typing.get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp)}
    unknown = sorted(str(k) for k in set(data) - set(fields))
    if unknown:
        raise ProtocolParseError(_join(path, unknown[0]), f"unknown field; allowed: {_fmt(fields)}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _load(hints[name], data[name], _join(path, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ProtocolParseError(_join(path, name), "required field is missing")
    return tp(**kwargs)


def _load_decimal(data: object, where: str) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise ProtocolParseError(
            where, f"expected a decimal number as a string such as '0.5', got {data!r}"
        )
    try:
        number = Decimal(data)
    except InvalidOperation:
        raise ProtocolParseError(where, f"not a decimal number: {data!r}") from None
    if not number.is_finite():
        raise ProtocolParseError(where, f"must be a finite number, got {data!r}")
    return number


def _load_scalar(tp: Any, data: object, where: str) -> object:
    if tp is Decimal:
        return _load_decimal(data, where)
    if tp is dt.date:
        if isinstance(data, str):
            try:
                return dt.date.fromisoformat(data)
            except ValueError:
                pass
        raise ProtocolParseError(where, f"expected a date 'YYYY-MM-DD', got {data!r}")
    if tp is bool:
        if not isinstance(data, bool):
            raise ProtocolParseError(where, f"expected true or false, got {data!r}")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ProtocolParseError(where, f"expected a whole number, got {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise ProtocolParseError(where, f"expected text, got {data!r}")
        return data
    raise TypeError(f"{where}: unsupported type {tp!r}")  # a programming error, not bad input
