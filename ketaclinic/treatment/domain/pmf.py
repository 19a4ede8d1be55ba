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

from ketaclinic.treatment.domain import monitoring, rems
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


def build_pmf(
    facts: PmfFacts,
    *,
    hcp_phone: str,
    hcp_email: str = "",
    minutes_until_ready_without_rule: int | None,
) -> rems.PatientMonitoringForm:
    """The PMF fields [PMF 11/2021] filled from the session, the chart and the clinic."""
    tz = facts.tz
    start = facts.dose_started_at
    end = facts.discharged_at
    day_of_session = (start or facts.scheduled_at).astimezone(tz).date()
    meds = [
        m
        for m in facts.active_medications
        if m.stopped_on is None or m.stopped_on >= day_of_session
    ]
    pure = list(facts.observations)
    items = monitoring.timeline(
        facts.protocol,
        dose_started_at=start,
        now=end or start or facts.scheduled_at,
        observations=pure,
    )
    bp_40 = next(
        (
            i.observation
            for i in items
            if i.planned.measure is Measure.BLOOD_PRESSURE
            and i.planned.anchor is Anchor.DOSE_START
            and i.planned.minute == 40
        ),
        None,
    )
    bp_end = next(
        (
            i.observation
            for i in items
            if i.planned.measure is Measure.BLOOD_PRESSURE
            and i.planned.anchor is Anchor.BEFORE_DISCHARGE
        ),
        None,
    )
    pre = [o for o in pure if start is not None and o.taken_at < start]
    pre_bp = next((o for o in reversed(pre) if o.measure is Measure.BLOOD_PRESSURE), None)
    after = [o for o in pure if start is not None and o.taken_at >= start]
    baseline = monitoring.baseline_from(pure, start) if start else monitoring.Baseline()
    base_moaa = baseline.moaa_s if baseline.moaa_s is not None else 5
    sedation = any(
        o.measure is Measure.MOAA_S and o.value is not None and o.value < base_moaa for o in after
    )
    dissociation = any(
        o.measure is Measure.CADSS and o.value is not None and o.value > 0 for o in after
    )
    vitals_ok_before = None
    if (
        pre_bp is not None
        and pre_bp.systolic_mmhg is not None
        and pre_bp.diastolic_mmhg is not None
    ):
        verdict, _ = monitoring.evaluate_predose_bp(
            pre_bp.systolic_mmhg, pre_bp.diastolic_mmhg, facts.protocol.thresholds
        )
        vitals_ok_before = verdict is monitoring.PredoseDecision.PROCEED
    dose_choice, dose_other = _pmf_dose(facts.dose_mg)
    return rems.PatientMonitoringForm(
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
        vitals_acceptable_before_dosing=vitals_ok_before,
        vitals_acceptable_before_completion="vitals_acceptable" in facts.discharge_criteria_met,
        bp_before_dosing_systolic_mmhg=_bp(pre_bp)[0],
        bp_before_dosing_diastolic_mmhg=_bp(pre_bp)[1],
        bp_at_40_min_systolic_mmhg=_bp(bp_40)[0],
        bp_at_40_min_diastolic_mmhg=_bp(bp_40)[1],
        bp_before_completion_systolic_mmhg=_bp(bp_end)[0],
        bp_before_completion_diastolic_mmhg=_bp(bp_end)[1],
        sedation_observed=sedation,
        dissociation_observed=dissociation,
        first_treatment=not facts.earlier_dosed_session,
        takes_opioids=any(m.is_opioid for m in meds),
        respiratory_status_monitored=any(o.measure is Measure.RESPIRATORY_RATE for o in pure)
        or None,
        pulse_oximetry_checked=any(o.measure is Measure.SPO2 for o in pure),
        serious_adverse_event_reported=facts.serious_adverse_event,
    )
