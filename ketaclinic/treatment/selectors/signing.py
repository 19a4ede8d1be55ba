"""Reads for discharge and signing: the facts a session's record is built from (gathered here,
arranged by the pure ``treatment.domain.record``), the record's current values with amendments,
discharge readiness and what still stops a signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.alerts.models import AlertSource, Severity
from ketaclinic.alerts.selectors import open_alert_counts
from ketaclinic.patients.models import Medication, RecordStatus
from ketaclinic.treatment.domain import monitoring, pmf, record, rems
from ketaclinic.treatment.domain.protocol import LABEL_RULES_SPRAVATO_2024
from ketaclinic.treatment.models import (
    AdverseEvent,
    Amendment,
    DoseAdministration,
    Observation,
    PrescriberDecision,
    RemsMonitoringForm,
    TreatmentSession,
)

# --------------------------------------------------------------------------------------------
# Gathering the facts


def _dose_facts(dose: DoseAdministration) -> record.DoseFacts:
    return record.DoseFacts(
        dose_mg=dose.dose_mg,
        dose_mg_per_kg=dose.dose_mg_per_kg,
        weight_kg=dose.weight_kg,
        weight_measured_at=dose.weight_measured_at,
        product=dose.product,
        lot_number=dose.lot_number,
        expiry_date=dose.expiry_date,
        concentration_mg_per_ml=dose.concentration_mg_per_ml,
        volume_ml=dose.volume_ml,
        rate_ml_per_h=dose.rate_ml_per_h,
        device_count=dose.device_count,
        device_times=tuple(dose.device_times),
        started_at=dose.started_at,
        override_reason=dose.override_reason,
        given_by_id=dose.given_by_id,
        witnessed_by_id=dose.witnessed_by_id,
        requested_dose_mg=dose.requested_dose_mg,
        container=dose.container,
        final_volume_ml=dose.final_volume_ml,
        final_concentration_mg_per_ml=dose.final_concentration_mg_per_ml,
        rate_mg_per_h=dose.rate_mg_per_h,
    )


def observation_facts(observations: Iterable[Observation]) -> list[record.ObservationFacts]:
    return [
        record.ObservationFacts(
            id=o.pk,
            code=o.code,
            unit=o.unit,
            value=o.value,
            systolic_mmhg=o.systolic_mmhg,
            diastolic_mmhg=o.diastolic_mmhg,
            text=o.text,
            measured_at=o.measured_at,
            minutes_since_dose=o.minutes_since_dose,
        )
        for o in observations
    ]


def _monitoring_observations(observations: Iterable[Observation]) -> list[monitoring.Observation]:
    return [o.to_monitoring() for o in observation_facts(observations)]


def _amendment_facts(amendments: Iterable[Amendment]) -> tuple[record.AmendmentFacts, ...]:
    return tuple(
        record.AmendmentFacts(
            field=a.field,
            old_value=a.old_value,
            new_value=a.new_value,
            reason=a.reason,
            author_id=a.author_id,
            created_at=a.created_at,
        )
        for a in amendments
    )


def _decision_facts(d: PrescriberDecision) -> record.DecisionFacts:
    return record.DecisionFacts(
        kind=d.kind,
        outcome=d.outcome,
        reason=d.reason,
        subject=d.subject,
        decided_by_id=d.decided_by_id,
        decided_at=d.decided_at,
    )


def _adverse_event_facts(a: AdverseEvent) -> record.AdverseEventFacts:
    return record.AdverseEventFacts(
        event_type=a.event_type,
        severity=a.severity,
        serious=a.serious,
        action_taken=a.action_taken,
        outcome=a.outcome,
        description=a.description,
        onset_at=a.onset_at,
    )


def session_record(session: TreatmentSession) -> record.SessionRecord:
    """Everything the session's signature covers, read from the database."""
    checklist = getattr(session, "checklist", None)
    dose = DoseAdministration.objects.filter(session=session).first()
    pmf = RemsMonitoringForm.objects.filter(session=session).first()
    return record.SessionRecord(
        session=record.SessionFacts(
            id=session.pk,
            patient_id=session.patient_id,
            course_id=session.course_id,
            protocol_version_id=session.protocol_version_id,
            number=session.number,
            scheduled_at=session.scheduled_at,
            chair=session.chair,
            checked_in_at=session.checked_in_at,
            dose_started_at=session.dose_started_at,
            discharged_at=session.discharged_at,
            discharge_criteria_met=tuple(session.discharge_criteria_met),
            escort=session.escort,
            discharge_note=session.discharge_note,
        ),
        checklist=None
        if checklist is None
        else record.ChecklistFacts(
            fasting_confirmed=checklist.fasting_confirmed,
            ride_home_confirmed=checklist.ride_home_confirmed,
            nasal_medication_timing_ok=checklist.nasal_medication_timing_ok,
            pregnancy_status=checklist.pregnancy_status,
            scales_reviewed=checklist.scales_reviewed,
            notes=checklist.notes,
            recorded_by_id=checklist.recorded_by_id,
            revisions=tuple(
                {
                    "old_answers": r.old_answers,
                    "reason": r.reason,
                    "by": r.recorded_by_id,
                    "at": record.iso(r.recorded_at),
                }
                for r in checklist.revisions.all()
            ),
        ),
        decisions=tuple(_decision_facts(d) for d in session.decisions.order_by("decided_at", "pk")),
        dose=None if dose is None else _dose_facts(dose),
        observations=tuple(observation_facts(session.observations.order_by("measured_at", "pk"))),
        adverse_events=tuple(
            _adverse_event_facts(a) for a in session.adverse_events.order_by("onset_at", "pk")
        ),
        rems_form=None if pmf is None else dict(pmf.data),
        amendments=_amendment_facts(
            Amendment.objects.filter(session=session).order_by("created_at", "pk")
        ),
    )


def session_content(session: TreatmentSession) -> dict[str, Any]:
    """The canonical content of a session, the thing its signature's hash covers
    (``domain.record.session_content`` over the facts read now)."""
    return record.session_content(session_record(session))


def dose_content(dose: DoseAdministration) -> dict[str, Any]:
    """What the dose's witness signs (``domain.record.dose_content``)."""
    return record.dose_content(
        session_id=dose.session_id, patient_id=dose.session.patient_id, dose=_dose_facts(dose)
    )


def pmf_facts(session: TreatmentSession, *, hcp: User) -> pmf.PmfFacts:
    """What the REMS Patient Monitoring Form is filled from: the session, the chart, the clinic."""
    patient = session.patient
    clinic = session.clinic
    meds = Medication.objects.filter(patient=patient, status=RecordStatus.ACTIVE)
    dose = DoseAdministration.objects.filter(session=session).first()
    observations = _monitoring_observations(session.observations.all())
    earlier = TreatmentSession.objects.filter(
        course__patient=patient, dose_started_at__isnull=False, number__lt=session.number
    ).exclude(pk=session.pk)
    return pmf.PmfFacts(
        protocol=session.protocol_version.protocol,
        tz=clinic.tzinfo,
        patient_name=patient.full_name,
        patient_date_of_birth=patient.date_of_birth,
        patient_sex=patient.get_sex_display(),
        active_medications=tuple(
            pmf.MedicationFacts(
                stopped_on=m.stopped_on,
                is_benzodiazepine=m.is_benzodiazepine,
                is_non_benzo_sedative=m.is_non_benzo_sedative,
                is_psychostimulant=m.is_psychostimulant,
                is_maoi=m.is_maoi,
                is_opioid=m.is_opioid,
            )
            for m in meds
        ),
        hcp_name=hcp.display_name,
        hcp_user_email=hcp.email,
        setting_name=clinic.name,
        setting_address=clinic.address,
        number=session.number,
        scheduled_at=session.scheduled_at,
        dose_started_at=session.dose_started_at,
        discharged_at=session.discharged_at,
        discharge_criteria_met=tuple(session.discharge_criteria_met),
        dose_mg=dose.dose_mg if dose else None,
        lot_number=dose.lot_number if dose else None,
        observations=tuple(observations),
        earlier_dosed_session=earlier.exists(),
        serious_adverse_event=session.adverse_events.filter(serious=True).exists(),
    )


def build_pmf(
    session: TreatmentSession,
    *,
    hcp: User,
    hcp_phone: str,
    hcp_email: str = "",
    minutes_until_ready_without_rule: int | None,
) -> pmf.FilledPmf:
    """The PMF fields filled from the session, each with the record it came from
    (``domain.pmf.fill_pmf``)."""
    return pmf.fill_pmf(
        pmf_facts(session, hcp=hcp),
        hcp_phone=hcp_phone,
        hcp_email=hcp_email,
        minutes_until_ready_without_rule=minutes_until_ready_without_rule,
    )


def pmf_missing(form: RemsMonitoringForm, data: dict[str, Any] | None = None) -> list[str]:
    """Required fields of the form's own layout version still empty, and any field whose
    stored value is not valid (it needs an amendment)."""
    parsed, invalid = pmf.pmf_from_dict_lenient(form.data if data is None else data)
    missing = rems.missing_required_fields(parsed, rems.layout_named(form.layout))
    return [*missing, *(k for k in invalid if k not in missing)]


# --------------------------------------------------------------------------------------------
# The record with its amendments


def _original_value(session: TreatmentSession, field: str) -> Any:
    if field.startswith("dose."):
        dose = DoseAdministration.objects.filter(session=session).first()
        value = getattr(dose, field.split(".", 1)[1], None) if dose else None
        return record.iso(value) if isinstance(value, dt.date) else value
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
    amendments = Amendment.objects.filter(session_id=form.session_id).order_by("created_at", "pk")
    return record.amended_pmf_data(form.data, _amendment_facts(amendments))


def pmf_treatment_date(form: RemsMonitoringForm) -> dt.date:
    raw = form.data.get("treatment_date")
    if raw:
        return dt.date.fromisoformat(str(raw))
    return form.due_date - dt.timedelta(days=LABEL_RULES_SPRAVATO_2024.pmf_deadline_days)


# --------------------------------------------------------------------------------------------
# Discharge and signing


def open_alert_count_for_session(session: TreatmentSession, *, severity: str | None = None) -> int:
    """Unacknowledged alerts raised by this session's readings and adverse events."""
    total = 0
    for source_type, ids in (
        (AlertSource.OBSERVATION, session.observations.values_list("pk", flat=True)),
        (AlertSource.ADVERSE_EVENT, session.adverse_events.values_list("pk", flat=True)),
    ):
        counts = open_alert_counts(source_type=source_type, source_ids=ids, severity=severity)
        total += sum(counts.values())
    return total


def discharge_check(
    session: TreatmentSession, criteria_met: Iterable[str], now: dt.datetime | None = None
) -> monitoring.DischargeReadiness:
    return monitoring.discharge_readiness(
        session.protocol_version.protocol,
        dose_started_at=session.dose_started_at,
        now=now or timezone.now(),
        criteria_met=set(criteria_met),
        observations=_monitoring_observations(session.observations.all()),
        unresolved_alerts=open_alert_count_for_session(session, severity=Severity.CRITICAL),
        hepatic_impairment=session.patient.hepatic_impairment,
    )


def signing_problems(session: TreatmentSession) -> list[str]:
    """Why the session cannot be signed now (REMS: a required PMF field missing, or a value
    that cannot be right [PMF])."""
    problems: list[str] = []
    if session.discharged_at is None:
        problems.append("The patient has not been discharged.")
    if session.protocol_version.protocol.rems_required:
        form = RemsMonitoringForm.objects.filter(session=session).first()
        if form is None:
            problems.append("The REMS Patient Monitoring Form is missing.")
        else:
            parsed, _ = pmf.pmf_from_dict_lenient(form.data)
            missing = pmf_missing(form)
            if missing:
                problems.append(
                    "REMS form fields missing: "
                    + ", ".join(rems.FIELD_LABELS.get(m, m) for m in missing)
                )
            problems += rems.pmf_problems(parsed)
    return problems


__all__ = [
    "amended_pmf_data",
    "build_pmf",
    "current_value",
    "discharge_check",
    "dose_content",
    "observation_facts",
    "open_alert_count_for_session",
    "pmf_facts",
    "pmf_missing",
    "pmf_treatment_date",
    "session_content",
    "session_record",
    "signing_problems",
]
