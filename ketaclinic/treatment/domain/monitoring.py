"""The monitored session: what is due, what is alarming, what is impossible, who may leave.

Pure module: no Django import. Times are aware datetimes; minutes count from the start of
dosing (the first esketamine device, or the start of the infusion or injection), which is also
where the PMF's "total minutes from first device to end of monitoring" starts [PMF].

Due states (issue 4: "due items turn amber when due and red when overdue"):

* ``pending`` (grey): not due yet;
* ``due`` (amber): from the planned minute (less ``early_minutes``) until ``overdue_after_minutes``
  after it;
* ``overdue`` (red): later than that and still not measured;
* ``done`` (green): a measurement of that kind was taken from ``early_minutes`` before the
  planned minute on (a late measurement still counts, as done late).

Pre-dose items are due from check-in until dosing starts; missing at dose start, they are red.
Before-discharge items fall due ``discharge_lead_minutes`` before the minimum observation ends.
The windows are settings (:class:`MonitoringWindows`); their defaults are project defaults, not
sourced from clinical.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ketaclinic.treatment.domain import discharge, vitals
from ketaclinic.treatment.domain.hepatic import observation_minutes
from ketaclinic.treatment.domain.protocol import (
    LABEL_RULES_SPRAVATO_2024,
    Anchor,
    Drug,
    LabelRules,
    Measure,
    PlannedMeasurement,
    Protocol,
    Thresholds,
)

__all__ = [
    "PLAUSIBLE_RANGES",
    "Alert",
    "AlertKind",
    "Baseline",
    "DischargeReadiness",
    "DueStatus",
    "FieldError",
    "ItemStatus",
    "MonitoringWindows",
    "Observation",
    "PredoseDecision",
    "Severity",
    "alerts_for",
    "as_vitals",
    "baseline_from",
    "discharge_readiness",
    "effective_observation_minutes",
    "evaluate_predose_bp",
    "findings_for",
    "next_due",
    "predose_alerts_for",
    "timeline",
    "validate_observation",
]


@dataclass(frozen=True, slots=True)
class MonitoringWindows:
    """Grace windows of the chair board. PROJECT DEFAULTS (clinical.md gives none)."""

    early_minutes: int = 5  # a reading up to 5 min before the planned minute counts
    overdue_after_minutes: int = 10  # amber for 10 min after the planned minute, then red
    discharge_lead_minutes: int = 15  # before-discharge checks fall due 15 min before the end


# --------------------------------------------------------------------------------------------
# Observations and impossible values


@dataclass(frozen=True, slots=True)
class Observation:
    """One measurement. Blood pressure uses systolic/diastolic; notes and IV-site use text;
    everything else uses value (bpm, %, breaths/min, MOAA/S 0-5, CADSS total, NRS)."""

    measure: Measure
    taken_at: dt.datetime
    value: int | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    text: str = ""


#: Values outside these are impossible or certainly mis-keyed and are refused, not alerted on.
#: Wide on purpose: a true extreme reading must never be refused. Units in the field names.
PLAUSIBLE_RANGES: dict[str, tuple[int, int, str]] = {
    "systolic_mmhg": (40, 300, "mmHg"),
    "diastolic_mmhg": (10, 200, "mmHg"),
    "heart_rate": (10, 300, "bpm"),
    "spo2": (1, 100, "%"),  # a saturation cannot exceed 100 %; 0 means no signal
    "respiratory_rate": (1, 80, "breaths/min"),
    "moaa_s": (0, 5, "points"),  # MOAA/S 5 = responds readily to name ... 0 = no response
    "cadss": (0, 92, "points"),  # CADSS subjective total: 23 items scored 0-4
    "bprs_plus": (4, 28, "points"),  # BPRS positive items: 4 items scored 1-7
    "pain_nrs": (0, 10, "points"),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _in_range(name: str, value: int | None) -> list[FieldError]:
    lo, hi, unit = PLAUSIBLE_RANGES[name]
    if value is None:
        return [FieldError(name, f"is required; allowed {lo}-{hi} {unit}")]
    if isinstance(value, bool) or not lo <= value <= hi:
        return [FieldError(name, f"allowed {lo}-{hi} {unit}, got {value}")]
    return []


def validate_observation(obs: Observation) -> list[FieldError]:
    """Refuse impossible values with a message naming the field and the allowed values."""
    if obs.taken_at.tzinfo is None or obs.taken_at.utcoffset() is None:
        return [FieldError("taken_at", "must be an aware datetime (UTC or with a time zone)")]
    m = obs.measure
    if m is Measure.BLOOD_PRESSURE:
        errors = _in_range("systolic_mmhg", obs.systolic_mmhg)
        errors += _in_range("diastolic_mmhg", obs.diastolic_mmhg)
        if (
            not errors
            and obs.systolic_mmhg is not None
            and obs.diastolic_mmhg is not None
            and obs.diastolic_mmhg >= obs.systolic_mmhg
        ):
            errors.append(
                FieldError(
                    "diastolic_mmhg",
                    f"must be below the systolic ({obs.systolic_mmhg} mmHg), "
                    f"got {obs.diastolic_mmhg}",
                )
            )
        return errors
    if m in (Measure.NOTE, Measure.IV_SITE):
        return [] if obs.text.strip() else [FieldError("text", "must not be empty")]
    return _in_range(m.value, obs.value)


# --------------------------------------------------------------------------------------------
# What is due


class DueStatus(enum.StrEnum):
    PENDING = "pending"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"

    @property
    def colour(self) -> str:
        return {"pending": "grey", "due": "amber", "overdue": "red", "done": "green"}[self.value]


@dataclass(frozen=True, slots=True)
class ItemStatus:
    planned: PlannedMeasurement
    due_at: dt.datetime | None  # None: pre-dose before dosing has started
    status: DueStatus
    observation: Observation | None


def effective_observation_minutes(
    protocol: Protocol,
    rules: LabelRules = LABEL_RULES_SPRAVATO_2024,
    hepatic_impairment: str = "none",
) -> int:
    """The protocol's minimum observation for this patient: longer with moderate hepatic
    impairment when the protocol sets it (PI 8.6, ``hepatic.observation_minutes``); for
    esketamine never below the label's 2 h [DailyMed; REMS], even if a stored protocol version
    says less."""
    minutes = observation_minutes(protocol, hepatic_impairment)
    if protocol.drug is Drug.ESKETAMINE:
        minutes = max(minutes, rules.esketamine_min_observation_minutes)
    return minutes


def timeline(
    protocol: Protocol,
    *,
    dose_started_at: dt.datetime | None,
    now: dt.datetime,
    observations: Sequence[Observation],
    windows: MonitoringWindows = MonitoringWindows(),
    rules: LabelRules = LABEL_RULES_SPRAVATO_2024,
    hepatic_impairment: str = "none",
) -> list[ItemStatus]:
    """Each planned measurement of the session with its due time and state."""
    early = dt.timedelta(minutes=windows.early_minutes)
    late = dt.timedelta(minutes=windows.overdue_after_minutes)
    obs_end_minutes = effective_observation_minutes(protocol, rules, hepatic_impairment)
    used: set[int] = set()
    ordered = sorted(range(len(observations)), key=lambda i: observations[i].taken_at)
    result: list[ItemStatus] = []

    def take(
        measure: Measure, lo: dt.datetime | None, hi: dt.datetime | None
    ) -> Observation | None:
        for i in ordered:
            o = observations[i]
            if i in used or o.measure is not measure:
                continue
            if (lo is None or o.taken_at >= lo) and (hi is None or o.taken_at < hi):
                used.add(i)
                return o
        return None

    plan = sorted(
        protocol.monitoring,
        key=lambda p: (
            [Anchor.PRE_DOSE, Anchor.DOSE_START, Anchor.BEFORE_DISCHARGE].index(p.anchor),
            p.minute,
        ),
    )
    for p in plan:
        if p.anchor is Anchor.PRE_DOSE:
            found = take(p.measure, None, dose_started_at)
            if found is not None:
                status = DueStatus.DONE
            else:
                status = DueStatus.DUE if dose_started_at is None else DueStatus.OVERDUE
            result.append(ItemStatus(p, dose_started_at, status, found))
            continue
        if dose_started_at is None:
            result.append(ItemStatus(p, None, DueStatus.PENDING, None))
            continue
        if p.anchor is Anchor.DOSE_START:
            due_at = dose_started_at + dt.timedelta(minutes=p.minute)
            found = take(p.measure, due_at - early, None)
        else:  # before discharge
            end = dose_started_at + dt.timedelta(minutes=obs_end_minutes)
            due_at = end - dt.timedelta(minutes=windows.discharge_lead_minutes)
            found = take(p.measure, due_at, None)
        if found is not None:
            status = DueStatus.DONE
        elif now < due_at - early:
            status = DueStatus.PENDING
        elif now <= due_at + late:
            status = DueStatus.DUE
        else:
            status = DueStatus.OVERDUE
        result.append(ItemStatus(p, due_at, status, found))
    return result


def next_due(items: Sequence[ItemStatus]) -> ItemStatus | None:
    """The chair board's "what next": the first overdue, else the first due, else the next
    pending item by time."""
    for wanted in (DueStatus.OVERDUE, DueStatus.DUE):
        hits = [i for i in items if i.status is wanted]
        if hits:
            return hits[0]
    pending = [i for i in items if i.status is DueStatus.PENDING]
    timed = [i for i in pending if i.due_at is not None]
    if timed:
        return min(timed, key=lambda i: i.due_at or dt.datetime.max.replace(tzinfo=dt.UTC))
    return pending[0] if pending else None


# --------------------------------------------------------------------------------------------
# Thresholds and alerts


class PredoseDecision(enum.StrEnum):
    PROCEED = "proceed"
    NEEDS_PRESCRIBER_DECISION = "needs_prescriber_decision"


def evaluate_predose_bp(
    systolic_mmhg: int, diastolic_mmhg: int, thresholds: Thresholds
) -> tuple[PredoseDecision, str]:
    """Pre-dose BP above the protocol's threshold (systolic or diastolic) needs a prescriber's
    recorded decision to proceed. Baseline > 140/90: weigh the transient rise against benefit
    [DrOracle]; the threshold is the protocol version's setting."""
    s_max, d_max = thresholds.predose_systolic_max_mmhg, thresholds.predose_diastolic_max_mmhg
    if systolic_mmhg > s_max or diastolic_mmhg > d_max:
        return (
            PredoseDecision.NEEDS_PRESCRIBER_DECISION,
            f"Pre-dose blood pressure {systolic_mmhg}/{diastolic_mmhg} mmHg is above the "
            f"protocol's {s_max}/{d_max} mmHg: a prescriber must decide whether to dose.",
        )
    return PredoseDecision.PROCEED, ""


class AlertKind(enum.StrEnum):
    """The rule that raised an alert: the codes of ``vitals.Finding``."""

    HYPERTENSIVE_CRISIS = "hypertensive_crisis"
    BP_RISE = "bp_rise"
    SPO2_LOW = "spo2_low"
    SPO2_DROP = "spo2_drop"
    RESPIRATORY_RATE_LOW = "respiratory_rate_low"
    HEART_RATE_LOW = "heart_rate_low"
    HEART_RATE_HIGH = "heart_rate_high"
    SEDATION = "sedation"
    LOSS_OF_CONSCIOUSNESS = "loss_of_consciousness"
    DISSOCIATION = "dissociation"


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    severity: Severity
    message: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Baseline:
    """Pre-dose values that rises and drops are measured from."""

    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    spo2: int | None = None
    moaa_s: int | None = None
    respiratory_rate: int | None = None
    cadss: int | None = None

    def as_vitals(self) -> vitals.Vitals:
        return vitals.Vitals(
            systolic=self.systolic_mmhg,
            diastolic=self.diastolic_mmhg,
            spo2=self.spo2,
            respiratory_rate=self.respiratory_rate,
            moaa_s=self.moaa_s,
            cadss=self.cadss,
        )


def _last_value(before: Sequence[Observation], measure: Measure) -> int | None:
    hits = [o for o in before if o.measure is measure]
    return hits[-1].value if hits else None


def baseline_from(observations: Sequence[Observation], dose_started_at: dt.datetime) -> Baseline:
    """The last reading of each kind taken before dosing started."""
    before = sorted(
        (o for o in observations if o.taken_at < dose_started_at), key=lambda o: o.taken_at
    )
    bp = [o for o in before if o.measure is Measure.BLOOD_PRESSURE]
    return Baseline(
        systolic_mmhg=bp[-1].systolic_mmhg if bp else None,
        diastolic_mmhg=bp[-1].diastolic_mmhg if bp else None,
        spo2=_last_value(before, Measure.SPO2),
        moaa_s=_last_value(before, Measure.MOAA_S),
        respiratory_rate=_last_value(before, Measure.RESPIRATORY_RATE),
        cadss=_last_value(before, Measure.CADSS),
    )


_VITALS_FIELD = {
    Measure.HEART_RATE: "heart_rate",
    Measure.SPO2: "spo2",
    Measure.RESPIRATORY_RATE: "respiratory_rate",
    Measure.MOAA_S: "moaa_s",
    Measure.CADSS: "cadss",
}


def as_vitals(obs: Observation) -> vitals.Vitals:
    """One observation as a :class:`vitals.Vitals` reading (the other values empty)."""
    if obs.measure is Measure.BLOOD_PRESSURE:
        return vitals.Vitals(systolic=obs.systolic_mmhg, diastolic=obs.diastolic_mmhg)
    name = _VITALS_FIELD.get(obs.measure)
    return vitals.Vitals(**{name: obs.value}) if name else vitals.Vitals()


def findings_for(
    obs: Observation, *, baseline: Baseline, thresholds: Thresholds
) -> list[vitals.Finding]:
    """Every rule's finding for one (valid) observation, information included."""
    if validate_observation(obs):
        raise ValueError("validate the observation before evaluating alerts")
    return vitals.findings_for(thresholds, baseline=baseline.as_vitals(), reading=as_vitals(obs))


def alerts_for(obs: Observation, *, baseline: Baseline, thresholds: Thresholds) -> list[Alert]:
    """The warning and critical findings of one (valid) observation, as alerts (critical
    first): one per rule. The absolute limits hold at any time, before dosing as well."""
    return [
        Alert(AlertKind(f.code), Severity(f.severity), f.message, f.source)
        for f in findings_for(obs, baseline=baseline, thresholds=thresholds)
        if f.severity != "info"
    ]


def predose_alerts_for(obs: Observation, *, thresholds: Thresholds) -> list[Alert]:
    """A reading before dosing is its own baseline: only the absolute limits can fire
    (hypertensive crisis, SpO2 and respiratory rate below the limit, MOAA/S 0)."""
    if validate_observation(obs):
        raise ValueError("validate the observation before evaluating alerts")
    own = as_vitals(obs)
    return [
        Alert(AlertKind(f.code), Severity(f.severity), f.message, f.source)
        for f in vitals.findings_for(thresholds, baseline=own, reading=own)
        if f.severity != "info"
    ]


# --------------------------------------------------------------------------------------------
# Discharge


#: How a measure reads in a sentence.
MEASURE_WORDS: dict[Measure, str] = {
    Measure.BLOOD_PRESSURE: "blood pressure",
    Measure.HEART_RATE: "heart rate",
    Measure.SPO2: "SpO2",
    Measure.RESPIRATORY_RATE: "respiratory rate",
    Measure.MOAA_S: "MOAA/S",
    Measure.CADSS: "CADSS",
    Measure.PAIN_NRS: "pain NRS",
}


@dataclass(frozen=True, slots=True)
class DischargeReadiness:
    ready: bool
    earliest_at: dt.datetime | None
    reasons: tuple[str, ...]  # why not, each in words a nurse can act on
    # The value criteria with the readings that satisfy them (or why none does).
    checks: tuple[discharge.DischargeCheck, ...] = ()


def discharge_readiness(
    protocol: Protocol,
    *,
    dose_started_at: dt.datetime | None,
    now: dt.datetime,
    criteria_met: Collection[str],
    observations: Sequence[Observation],
    unresolved_alerts: int = 0,
    windows: MonitoringWindows = MonitoringWindows(),
    rules: LabelRules = LABEL_RULES_SPRAVATO_2024,
    hepatic_impairment: str = "none",
) -> DischargeReadiness:
    """Whether the patient may leave now.

    Needs: the minimum observation time since dosing started (for esketamine the label's
    2 hours, which cannot be shortened [DailyMed; REMS]); every discharge criterion of the
    protocol checked; the before-discharge measurements taken; and the value criteria of
    ``discharge.value_checks``: MOAA/S, SpO2 and respiratory rate back to pre-dose, CADSS at most
    4 or back to pre-dose, the last BP below the crisis limit, no unacknowledged critical alert
    (``unresolved_alerts`` counts those; the REMS asks to monitor until sedation, dissociation
    and respiratory depression resolve [REMS; DailyMed]).
    """
    if dose_started_at is None:
        return DischargeReadiness(False, None, ("Dosing has not started.",))
    reasons: list[str] = []
    minutes = effective_observation_minutes(protocol, rules, hepatic_impairment)
    earliest = dose_started_at + dt.timedelta(minutes=minutes)
    if now < earliest:
        left = earliest - now
        left_min = -(-int(left.total_seconds()) // 60)
        reasons.append(
            f"Observation time not reached: {minutes} minutes from the start of dosing are "
            f"needed ({left_min} min to go)."
        )
    missing = [c.text for c in protocol.discharge_criteria if c.code not in criteria_met]
    reasons.extend(f"Not checked: {text}" for text in missing)
    items = timeline(
        protocol,
        dose_started_at=dose_started_at,
        now=now,
        observations=observations,
        windows=windows,
        rules=rules,
        hepatic_impairment=hepatic_impairment,
    )
    reasons.extend(
        f"Not measured before discharge: {MEASURE_WORDS.get(item.planned.measure, item.planned.measure)}"
        for item in items
        if item.planned.anchor is Anchor.BEFORE_DISCHARGE and item.status is not DueStatus.DONE
    )
    checks = discharge.value_checks(
        protocol,
        dose_started_at=dose_started_at,
        observations=observations,
        unacknowledged_critical=unresolved_alerts,
    )
    reasons.extend(f"{c.label}: {c.detail}" for c in checks if not c.met)
    return DischargeReadiness(not reasons, earliest, tuple(reasons), checks)
