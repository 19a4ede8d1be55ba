"""The session record as one document: its canonical content (what a signature is bound to), the
amendments laid over it, and the REMS Patient Monitoring Form built from it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ketaclinic.accounts.models import User
from ketaclinic.alerts.models import AlertSource
from ketaclinic.alerts.selectors import open_alert_counts
from ketaclinic.patients.models import Medication, RecordStatus
from ketaclinic.treatment.domain import monitoring, rems
from ketaclinic.treatment.domain.protocol import Anchor, Measure
from ketaclinic.treatment.models import (
    Amendment,
    DoseAdministration,
    Observation,
    RemsMonitoringForm,
    TreatmentSession,
)

#: What a signed session's amendment may change: field -> label. ``rems.<name>`` are PMF fields.
AMENDABLE_FIELDS: dict[str, str] = {
    "escort": "Escort or ride home",
    "discharge_note": "Discharge note",
    "dose.product": "Product",
    "dose.lot_number": "Lot number",
    "dose.expiry_date": "Expiry date",
    **{
        f"rems.{f.name}": f"REMS form: {f.name.replace('_', ' ')}"
        for f in dataclasses.fields(rems.PatientMonitoringForm)
    },
}


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return value.isoformat()


def _dose_fields(dose: DoseAdministration) -> dict[str, Any]:
    return {
        "dose_mg": str(dose.dose_mg),
        "dose_mg_per_kg": str(dose.dose_mg_per_kg) if dose.dose_mg_per_kg else None,
        "weight_kg": str(dose.weight_kg) if dose.weight_kg else None,
        "weight_measured_at": _iso(dose.weight_measured_at),
        "product": dose.product,
        "lot_number": dose.lot_number,
        "expiry_date": _iso(dose.expiry_date),
        "concentration_mg_per_ml": str(dose.concentration_mg_per_ml)
        if dose.concentration_mg_per_ml
        else None,
        "volume_ml": str(dose.volume_ml) if dose.volume_ml else None,
        "rate_ml_per_h": str(dose.rate_ml_per_h) if dose.rate_ml_per_h else None,
        "device_count": dose.device_count,
        "device_times": list(dose.device_times),
        "started_at": _iso(dose.started_at),
        "override_reason": dose.override_reason,
        "given_by": dose.given_by_id,
        "witnessed_by": dose.witnessed_by_id,
    }


def dose_content(dose: DoseAdministration) -> dict[str, Any]:
    """What the dose's witness signs: the dose as recorded, with its session and patient, so the
    witness signature cannot be carried over to another dose (21 CFR 11.70)."""
    return {
        "session_id": dose.session_id,
        "patient_id": str(dose.session.patient_id),
        "dose": _dose_fields(dose),
    }


def session_content(session: TreatmentSession) -> dict[str, Any]:
    """The canonical content of a session, the thing its signature's hash covers. Amendments are
    part of it, so an amendment after signing makes the signature stop matching."""
    checklist = getattr(session, "checklist", None)
    dose = DoseAdministration.objects.filter(session=session).first()
    pmf = RemsMonitoringForm.objects.filter(session=session).first()
    return {
        "session": {
            "id": session.pk,
            "patient_id": str(session.patient_id),
            "course_id": session.course_id,
            "protocol_version_id": session.protocol_version_id,
            "number": session.number,
            "scheduled_at": _iso(session.scheduled_at),
            "chair": session.chair,
            "checked_in_at": _iso(session.checked_in_at),
            "dose_started_at": _iso(session.dose_started_at),
            "discharged_at": _iso(session.discharged_at),
            "discharge_criteria_met": list(session.discharge_criteria_met),
            "escort": session.escort,
            "discharge_note": session.discharge_note,
        },
        "checklist": None
        if checklist is None
        else {
            "fasting_confirmed": checklist.fasting_confirmed,
            "ride_home_confirmed": checklist.ride_home_confirmed,
            "nasal_medication_timing_ok": checklist.nasal_medication_timing_ok,
            "pregnancy_status": checklist.pregnancy_status,
            "scales_reviewed": checklist.scales_reviewed,
            "notes": checklist.notes,
            "recorded_by": checklist.recorded_by_id,
        },
        "decisions": [
            {
                "kind": d.kind,
                "outcome": d.outcome,
                "reason": d.reason,
                "subject": d.subject,
                "by": d.decided_by_id,
                "at": _iso(d.decided_at),
            }
            for d in session.decisions.order_by("decided_at", "pk")
        ],
        "dose": None if dose is None else _dose_fields(dose),
        "observations": [
            {
                "id": o.pk,
                "code": o.code,
                "unit": o.unit,
                "value": o.value,
                "systolic_mmhg": o.systolic_mmhg,
                "diastolic_mmhg": o.diastolic_mmhg,
                "text": o.text,
                "measured_at": _iso(o.measured_at),
                "minutes_since_dose": o.minutes_since_dose,
            }
            for o in session.observations.order_by("measured_at", "pk")
        ],
        "adverse_events": [
            {
                "type": a.event_type,
                "severity": a.severity,
                "serious": a.serious,
                "action_taken": a.action_taken,
                "outcome": a.outcome,
                "description": a.description,
                "onset_at": _iso(a.onset_at),
            }
            for a in session.adverse_events.order_by("onset_at", "pk")
        ],
        "rems_form": None if pmf is None else dict(pmf.data),
        "amendments": [
            {
                "field": a.field,
                "old": a.old_value,
                "new": a.new_value,
                "reason": a.reason,
                "author": a.author_id,
                "at": _iso(a.created_at),
            }
            for a in Amendment.objects.filter(session=session).order_by("created_at", "pk")
        ],
    }


def _original_value(session: TreatmentSession, field: str) -> Any:
    if field.startswith("dose."):
        dose = DoseAdministration.objects.filter(session=session).first()
        value = getattr(dose, field.split(".", 1)[1], None) if dose else None
        return _iso(value) if isinstance(value, dt.date) else value
    if field.startswith("rems."):
        pmf = RemsMonitoringForm.objects.filter(session=session).first()
        return pmf.data.get(field.split(".", 1)[1]) if pmf else None
    return getattr(session, field)


def current_value(session: TreatmentSession, field: str) -> Any:
    """The value with amendments applied (the newest amendment wins)."""
    last = Amendment.objects.filter(session=session, field=field).order_by("-created_at", "-pk")
    amended = last.first()
    if amended is not None:
        return amended.new_value
    return _original_value(session, field)


def amended_pmf_data(form: RemsMonitoringForm) -> dict[str, Any]:
    """The PMF as filed now: the stored data with ``rems.*`` amendments (and a lot-number
    amendment of the dose) laid over it."""
    data = dict(form.data)
    for a in Amendment.objects.filter(session_id=form.session_id).order_by("created_at", "pk"):
        if a.field.startswith("rems."):
            data[a.field.split(".", 1)[1]] = a.new_value
        elif a.field == "dose.lot_number":
            data["lot_number"] = a.new_value
    return data


def open_alert_count_for_session(session: TreatmentSession) -> int:
    ids = session.observations.values_list("pk", flat=True)
    return sum(open_alert_counts(source_type=AlertSource.OBSERVATION, source_ids=ids).values())


# --------------------------------------------------------------------------------------------
# The REMS Patient Monitoring Form


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


def _bp(o: monitoring.Observation | None) -> tuple[int | None, int | None]:
    return (o.systolic_mmhg, o.diastolic_mmhg) if o is not None else (None, None)


def build_pmf(
    session: TreatmentSession,
    *,
    hcp: User,
    hcp_phone: str,
    hcp_email: str = "",
    minutes_until_ready_without_rule: int | None,
) -> rems.PatientMonitoringForm:
    """The PMF fields [PMF 11/2021] filled from the session, the chart and the clinic."""
    from ketaclinic.treatment.selectors import pure_observations, session_timeline

    patient = session.patient
    clinic = session.clinic
    tz = clinic.tzinfo
    meds = [
        m
        for m in Medication.objects.filter(patient=patient, status=RecordStatus.ACTIVE)
        if m.stopped_on is None
        or m.stopped_on >= (session.dose_started_at or session.scheduled_at).astimezone(tz).date()
    ]
    dose = DoseAdministration.objects.filter(session=session).first()
    start = session.dose_started_at
    end = session.discharged_at
    obs = list(session.observations.all())
    pure = pure_observations(obs)
    items = session_timeline(session, end or start or session.scheduled_at, obs)
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
    thresholds = session.protocol_version.protocol.thresholds
    vitals_ok_before = None
    if (
        pre_bp is not None
        and pre_bp.systolic_mmhg is not None
        and pre_bp.diastolic_mmhg is not None
    ):
        verdict, _ = monitoring.evaluate_predose_bp(
            pre_bp.systolic_mmhg, pre_bp.diastolic_mmhg, thresholds
        )
        vitals_ok_before = verdict is monitoring.PredoseDecision.PROCEED
    dose_choice: rems.PmfDose | None = None
    dose_other: int | None = None
    if dose is not None:
        if dose.dose_mg == 56:
            dose_choice = rems.PmfDose.MG_56
        elif dose.dose_mg == 84:
            dose_choice = rems.PmfDose.MG_84
        else:
            dose_choice, dose_other = rems.PmfDose.OTHER, int(dose.dose_mg)
    prior = TreatmentSession.objects.filter(
        course__patient=patient, dose_started_at__isnull=False, number__lt=session.number
    ).exclude(pk=session.pk)
    return rems.PatientMonitoringForm(
        patient_name=patient.full_name,
        patient_date_of_birth=patient.date_of_birth,
        patient_sex=patient.get_sex_display(),
        takes_benzodiazepines=any(m.is_benzodiazepine for m in meds),
        takes_non_benzodiazepine_sedative_hypnotics=any(m.is_non_benzo_sedative for m in meds),
        takes_psychostimulants=any(m.is_psychostimulant for m in meds),
        takes_maois=any(m.is_maoi for m in meds),
        hcp_name=hcp.display_name,
        hcp_phone=hcp_phone.strip() or None,
        hcp_email=hcp_email.strip() or hcp.email or None,
        setting_name=clinic.name,
        setting_address=clinic.address.strip() or None,
        treatment_date=start.astimezone(tz).date() if start else None,
        dose=dose_choice,
        dose_other_mg=dose_other,
        lot_number=dose.lot_number if dose else None,
        total_monitoring_minutes=rems.total_monitoring_minutes(start, end)
        if start and end
        else None,
        minutes_until_ready_without_rule=minutes_until_ready_without_rule,
        vitals_acceptable_before_dosing=vitals_ok_before,
        vitals_acceptable_before_completion="vitals_acceptable" in session.discharge_criteria_met,
        bp_before_dosing_systolic_mmhg=_bp(pre_bp)[0],
        bp_before_dosing_diastolic_mmhg=_bp(pre_bp)[1],
        bp_at_40_min_systolic_mmhg=_bp(bp_40)[0],
        bp_at_40_min_diastolic_mmhg=_bp(bp_40)[1],
        bp_before_completion_systolic_mmhg=_bp(bp_end)[0],
        bp_before_completion_diastolic_mmhg=_bp(bp_end)[1],
        sedation_observed=sedation,
        dissociation_observed=dissociation,
        first_treatment=not prior.exists(),
        takes_opioids=any(m.is_opioid for m in meds),
        respiratory_status_monitored=any(o.measure is Measure.RESPIRATORY_RATE for o in pure)
        or None,
        pulse_oximetry_checked=any(o.measure is Measure.SPO2 for o in pure),
        serious_adverse_event_reported=session.adverse_events.filter(serious=True).exists(),
    )


__all__ = [
    "AMENDABLE_FIELDS",
    "Observation",
    "amended_pmf_data",
    "build_pmf",
    "current_value",
    "open_alert_count_for_session",
    "pmf_from_dict",
    "pmf_to_dict",
    "session_content",
]
