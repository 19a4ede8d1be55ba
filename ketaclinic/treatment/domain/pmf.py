"""The REMS Patient Monitoring Form [PMF 11/2021] of an esketamine session: filled from plain
data (``treatment.selectors.signing.pmf_facts`` gathers it), stored as a dict and parsed back.

Pure module: no Django import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ketaclinic.treatment.domain import monitoring, rems, vitals
from ketaclinic.treatment.domain.protocol import Anchor, Measure, Protocol


def pmf_to_dict(form: rems.PatientMonitoringForm) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for f in dataclasses.fields(form):
        value = getattr(form, f.name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, rems.PmfDose):
            value = value.value
        result[f.name] = value
    return result


def _parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


def pmf_from_dict(data: dict[str, Any]) -> rems.PatientMonitoringForm:
    """Parse stored or submitted PMF data (strings from a form are converted)."""
    kwargs: dict[str, Any] = {}
    names = {f.name: f for f in dataclasses.fields(rems.PatientMonitoringForm)}
    for name, value in data.items():
        if name not in names:
            raise ValueError(f"{name}: not a field of the monitoring form")
        hint = str(names[name].type)
        if value is None or value == "":
            kwargs[name] = None
        elif "bool" in hint:
            kwargs[name] = _parse_bool(value)
        elif "int" in hint:
            try:
                kwargs[name] = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: expected a whole number, got {value!r}") from None
        elif "dt.date" in hint:
            kwargs[name] = dt.date.fromisoformat(str(value))
        elif "PmfDose" in hint:
            kwargs[name] = rems.PmfDose(str(value))
        else:
            kwargs[name] = str(value)
    return rems.PatientMonitoringForm(**kwargs)


def pmf_from_dict_lenient(
    data: dict[str, Any],
) -> tuple[rems.PatientMonitoringForm, dict[str, str]]:
    """``pmf_from_dict`` for display: a stored value that does not parse (an old free-text
    amendment such as "84 mg") is left out of the form and returned with why, so that pages
    show it as needing an amendment instead of failing."""
    good: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    for name, value in data.items():
        try:
            pmf_from_dict({name: value})
        except (ValueError, TypeError) as exc:
            invalid[name] = str(exc)
        else:
            good[name] = value
    return pmf_from_dict(good), invalid


@dataclasses.dataclass(frozen=True)
class MedicationFacts:
    stopped_on: dt.date | None
    is_benzodiazepine: bool
    is_non_benzo_sedative: bool
    is_psychostimulant: bool
    is_maoi: bool
    is_opioid: bool


@dataclasses.dataclass(frozen=True)
class PmfFacts:
    """What the PMF is filled from: the session, its patient, clinic and chart, and the HCP."""

    protocol: Protocol
    tz: ZoneInfo
    patient_name: str
    patient_date_of_birth: dt.date
    patient_sex: str
    active_medications: tuple[MedicationFacts, ...]
    hcp_name: str
    hcp_user_email: str
    setting_name: str
    setting_address: str
    number: int
    scheduled_at: dt.datetime
    dose_started_at: dt.datetime | None
    discharged_at: dt.datetime | None
    discharge_criteria_met: tuple[str, ...]
    dose_mg: Decimal | None
    lot_number: str | None
    observations: tuple[monitoring.Observation, ...]
    earlier_dosed_session: bool
    serious_adverse_event: bool


def _bp(o: monitoring.Observation | None) -> tuple[int | None, int | None]:
    return (o.systolic_mmhg, o.diastolic_mmhg) if o is not None else (None, None)


def _pmf_dose(dose_mg: Decimal | None) -> tuple[rems.PmfDose | None, int | None]:
    if dose_mg is None:
        return None, None
    if dose_mg == 56:
        return rems.PmfDose.MG_56, None
    if dose_mg == 84:
        return rems.PmfDose.MG_84, None
    return rems.PmfDose.OTHER, int(dose_mg)


#: Shown beside every answer the system filled in.
DECISION_SUPPORT = "decision support: check before use"


@dataclasses.dataclass(frozen=True)
class FilledPmf:
    """A PMF as the system filled it, with the record each filled field came from. A field the
    system could not answer from a record (a measurement never taken, a question only a person
    can answer) is ``None`` and has no source: it stays blank and blocks submission."""

    form: rems.PatientMonitoringForm
    sources: dict[str, str]


def _reading(o: monitoring.Observation, tz: ZoneInfo) -> str:
    value = (
        f"{o.systolic_mmhg}/{o.diastolic_mmhg} mmHg"
        if o.measure is Measure.BLOOD_PRESSURE
        else f"{o.value}"
    )
    return f"{monitoring.MEASURE_WORDS.get(o.measure, o.measure)} {value} at {o.taken_at.astimezone(tz):%H:%M}"


def _observed(facts: PmfFacts, src: dict[str, str]) -> dict[str, Any]:
    """The answers that come from the session's readings, with their sources in ``src``. A
    question whose reading was never taken stays ``None`` (never "No")."""
    tz, start = facts.tz, facts.dose_started_at
    pure = list(facts.observations)
    items = monitoring.timeline(
        facts.protocol,
        dose_started_at=start,
        now=facts.discharged_at or start or facts.scheduled_at,
        observations=pure,
    )

    def planned(measure: Measure, anchor: Anchor, minute: int = 0) -> monitoring.Observation | None:
        return next(
            (
                i.observation
                for i in items
                if i.planned.measure is measure
                and i.planned.anchor is anchor
                and (anchor is not Anchor.DOSE_START or i.planned.minute == minute)
            ),
            None,
        )

    pre = [o for o in pure if start is not None and o.taken_at < start]
    bps = {
        "bp_before_dosing": next(
            (o for o in reversed(pre) if o.measure is Measure.BLOOD_PRESSURE), None
        ),
        "bp_at_40_min": planned(Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40),
        "bp_before_completion": planned(Measure.BLOOD_PRESSURE, Anchor.BEFORE_DISCHARGE),
    }
    out: dict[str, Any] = {}
    for field, o in bps.items():
        out[f"{field}_systolic_mmhg"], out[f"{field}_diastolic_mmhg"] = _bp(o)
        if o is not None:
            src[f"{field}_systolic_mmhg"] = "Reading: " + _reading(o, tz)
            src[f"{field}_diastolic_mmhg"] = "Reading: " + _reading(o, tz)
    pre_bp = bps["bp_before_dosing"]
    if pre_bp is not None and pre_bp.systolic_mmhg and pre_bp.diastolic_mmhg:
        verdict, _ = monitoring.evaluate_predose_bp(
            pre_bp.systolic_mmhg, pre_bp.diastolic_mmhg, facts.protocol.thresholds
        )
        out["vitals_acceptable_before_dosing"] = verdict is monitoring.PredoseDecision.PROCEED
        src["vitals_acceptable_before_dosing"] = (
            f"Reading: {_reading(pre_bp, tz)} against the protocol's pre-dose limit"
        )
    after = [o for o in pure if start is not None and o.taken_at >= start]
    baseline = monitoring.baseline_from(pure, start) if start else monitoring.Baseline()
    # Dissociation as the trials defined it: CADSS > 4 (clinical.md 12).
    moaa = [o for o in after if o.measure is Measure.MOAA_S and o.value is not None]
    if moaa and baseline.moaa_s is not None:
        low = min(moaa, key=lambda o: o.value or 0)
        out["sedation_observed"] = (low.value or 0) < baseline.moaa_s
        src["sedation_observed"] = (
            f"Readings: lowest {_reading(low, tz)}, pre-dose {baseline.moaa_s}"
        )
    cadss = [o for o in after if o.measure is Measure.CADSS and o.value is not None]
    if cadss:
        top = max(cadss, key=lambda o: o.value or 0)
        above = vitals.ABSOLUTE_LIMITS.cadss_dissociation_above
        out["dissociation_observed"] = (top.value or 0) > above
        src["dissociation_observed"] = (
            f"Readings: highest {_reading(top, tz)} (above {above} counts as yes)"
        )
    resp = [o for o in pure if o.measure is Measure.RESPIRATORY_RATE]
    spo2 = [o for o in pure if o.measure is Measure.SPO2 and o.value is not None]
    if resp:
        out["respiratory_status_monitored"] = True
        src["respiratory_status_monitored"] = f"Readings: {len(resp)} respiratory rate(s)"
    if spo2:
        lowest = min(spo2, key=lambda o: o.value or 0)
        out["pulse_oximetry_checked"] = True
        src["pulse_oximetry_checked"] = f"Readings: {len(spo2)} SpO2 reading(s)"
        out["lowest_spo2_percent"] = lowest.value
        src["lowest_spo2_percent"] = "Reading: " + _reading(lowest, tz)
    return out


def _record_sources(facts: PmfFacts, *, meds: int, hcp_email: str) -> dict[str, str]:
    """Where the answers that come from records (not readings) came from."""
    src = {
        name: f"Medication list: {meds} active medication(s) with REMS classes"
        for name in (
            "takes_benzodiazepines",
            "takes_non_benzodiazepine_sedative_hypnotics",
            "takes_psychostimulants",
            "takes_maois",
            "takes_opioids",
        )
    }
    for name in ("patient_name", "patient_date_of_birth", "patient_sex"):
        src[name] = "Patient record"
    src["setting_name"] = src["setting_address"] = "Clinic settings"
    src["hcp_name"] = "Discharging user"
    if not hcp_email.strip():
        src["hcp_email"] = "Discharging user's account"
    src["dose"] = src["dose_other_mg"] = src["lot_number"] = "Dose record"
    src["treatment_date"] = "Session: start of dosing"
    src["total_monitoring_minutes"] = "Session: first device to discharge"
    src["vitals_acceptable_before_completion"] = "Discharge: criterion checked by the nurse"
    src["first_treatment"] = "Sessions: " + (
        "an earlier dosed session exists"
        if facts.earlier_dosed_session
        else "no earlier dosed session"
    )
    src["serious_adverse_event_reported"] = "Adverse events of this session"
    return src


def fill_pmf(
    facts: PmfFacts,
    *,
    hcp_phone: str,
    hcp_email: str = "",
    minutes_until_ready_without_rule: int | None,
) -> FilledPmf:
    """The PMF fields filled from the session, the chart and the clinic, each with its source
    (``FilledPmf.sources``); what no record answers stays blank."""
    tz, start, end = facts.tz, facts.dose_started_at, facts.discharged_at
    day_of_session = (start or facts.scheduled_at).astimezone(tz).date()
    meds = [
        m
        for m in facts.active_medications
        if m.stopped_on is None or m.stopped_on >= day_of_session
    ]
    src: dict[str, str] = {}
    observed = _observed(facts, src)
    src.update(_record_sources(facts, meds=len(meds), hcp_email=hcp_email))
    dose_choice, dose_other = _pmf_dose(facts.dose_mg)
    form = rems.PatientMonitoringForm(
        patient_name=facts.patient_name,
        patient_date_of_birth=facts.patient_date_of_birth,
        patient_sex=facts.patient_sex,
        takes_benzodiazepines=any(m.is_benzodiazepine for m in meds),
        takes_non_benzodiazepine_sedative_hypnotics=any(m.is_non_benzo_sedative for m in meds),
        takes_psychostimulants=any(m.is_psychostimulant for m in meds),
        takes_maois=any(m.is_maoi for m in meds),
        hcp_name=facts.hcp_name,
        hcp_phone=hcp_phone.strip() or None,
        hcp_email=hcp_email.strip() or facts.hcp_user_email or None,
        setting_name=facts.setting_name,
        setting_address=facts.setting_address.strip() or None,
        treatment_date=start.astimezone(tz).date() if start else None,
        dose=dose_choice,
        dose_other_mg=dose_other,
        lot_number=facts.lot_number,
        total_monitoring_minutes=rems.total_monitoring_minutes(start, end)
        if start and end
        else None,
        minutes_until_ready_without_rule=minutes_until_ready_without_rule,
        vitals_acceptable_before_completion=True
        if "vitals_acceptable" in facts.discharge_criteria_met
        else None,
        first_treatment=not facts.earlier_dosed_session,
        patient_enrolled=None,  # a person confirms the REMS enrolment: no record holds it
        takes_opioids=any(m.is_opioid for m in meds),
        takes_other_sedating_or_bp_drugs=None,  # no medication class records it: a person answers
        serious_adverse_event_reported=facts.serious_adverse_event,
        **observed,
    )
    filled = {k for k, v in pmf_to_dict(form).items() if v is not None}
    return FilledPmf(form, {k: v for k, v in src.items() if k in filled})


def build_pmf(
    facts: PmfFacts,
    *,
    hcp_phone: str,
    hcp_email: str = "",
    minutes_until_ready_without_rule: int | None,
) -> rems.PatientMonitoringForm:
    """The PMF fields filled from the session, the chart and the clinic (``fill_pmf`` without
    the sources)."""
    return fill_pmf(
        facts,
        hcp_phone=hcp_phone,
        hcp_email=hcp_email,
        minutes_until_ready_without_rule=minutes_until_ready_without_rule,
    ).form
