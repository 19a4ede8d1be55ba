"""Before the dose: the pre-dose checklist (with its vitals) and prescriber decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment.domain import timing
from ketaclinic.treatment.domain.protocol import Anchor, Drug, Measure
from ketaclinic.treatment.models import (
    DecisionKind,
    DecisionOutcome,
    DoseAdministration,
    PreDoseChecklist,
    PregnancyStatus,
    PrescriberDecision,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.revisions import ChecklistRevision
from ketaclinic.treatment.selectors.predose import dosing_blockers
from ketaclinic.treatment.services._common import (
    _clinical_time,
    _lock_session,
    _need,
    _set_phase,
)
from ketaclinic.treatment.services.observations import _observation_create


@transaction.atomic
def checklist_record(
    *,
    by: Membership,
    session: TreatmentSession,
    fasting_confirmed: bool,
    ride_home_confirmed: bool,
    pregnancy_status: str,
    scales_reviewed: bool,
    systolic_mmhg: int,
    diastolic_mmhg: int,
    heart_rate: int,
    spo2: int,
    moaa_s: int | None = None,
    respiratory_rate: int | None = None,
    nasal_medication_timing_ok: bool | None = None,
    notes: str = "",
    measured_at: dt.datetime | None = None,
) -> list[str]:
    """Record the pre-dose checklist and the pre-dose vitals. Returns what still blocks dosing
    (a suicidality flag without a prescriber's review; a pre-dose blood pressure above the
    protocol's threshold without a prescriber's decision; an unconfirmed item).

    The pre-dose MOAA/S and respiratory rate the protocol plans are assessed, never assumed:
    missing, they are refused (sedation and respiratory depression are measured against them)."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    if s.phase not in (SessionPhase.CHECKED_IN, SessionPhase.PRE_DOSE):
        raise ValidationError("Check the patient in first.")
    if PreDoseChecklist.objects.filter(session=s).exists():
        raise ValidationError("The checklist of this session is already recorded.")
    if pregnancy_status not in PregnancyStatus.values:
        raise ValidationError({"pregnancy_status": "Choose a pregnancy status."})
    protocol = s.protocol_version.protocol
    if protocol.drug is Drug.ESKETAMINE and nasal_medication_timing_ok is None:
        raise ValidationError(
            {
                "nasal_medication_timing_ok": "Esketamine: nasal steroid or decongestant at least "
                "1 hour before? Answer yes or no [DrOracle; LADMH]."
            }
        )
    planned = {p.measure for p in protocol.monitoring if p.anchor is Anchor.PRE_DOSE}
    unassessed: dict[str, str] = {}
    if moaa_s is None and Measure.MOAA_S in planned:
        unassessed["moaa_s"] = "Assess the MOAA/S before dosing (0-5); it is never assumed."
    if respiratory_rate is None and Measure.RESPIRATORY_RATE in planned:
        unassessed["respiratory_rate"] = "Count the respiratory rate before dosing (breaths/min)."
    if unassessed:
        raise ValidationError(unassessed)
    now = timezone.now()
    vitals_at = _clinical_time(
        by, s, measured_at, field="measured_at", label="Measured at", step=timing.Step.READING
    )
    checklist = PreDoseChecklist.objects.create(
        session=s,
        fasting_confirmed=fasting_confirmed,
        ride_home_confirmed=ride_home_confirmed,
        nasal_medication_timing_ok=nasal_medication_timing_ok,
        pregnancy_status=pregnancy_status,
        scales_reviewed=scales_reviewed,
        notes=notes,
        recorded_by_id=by.user_id,
        recorded_at=now,
    )
    readings: list[tuple[Measure, dict[str, Any]]] = [
        (
            Measure.BLOOD_PRESSURE,
            {"systolic_mmhg": systolic_mmhg, "diastolic_mmhg": diastolic_mmhg},
        ),
        (Measure.HEART_RATE, {"value": heart_rate}),
        (Measure.SPO2, {"value": spo2}),
    ]
    if moaa_s is not None:
        readings.append((Measure.MOAA_S, {"value": moaa_s}))
    if respiratory_rate is not None:
        readings.append((Measure.RESPIRATORY_RATE, {"value": respiratory_rate}))
    for measure, values in readings:
        _observation_create(by, s, measure, measured_at=vitals_at, **values)
    audit_record(
        event_type=EventType.CHECKLIST_RECORDED,
        actor=by,
        obj=checklist,
        patient_id=s.patient_id,
        extra={
            "session_id": s.pk,
            "fasting_confirmed": fasting_confirmed,
            "ride_home_confirmed": ride_home_confirmed,
            "pregnancy_status": pregnancy_status,
        },
    )
    if s.phase == SessionPhase.CHECKED_IN:
        _set_phase(by, s, SessionPhase.PRE_DOSE)
    return dosing_blockers(s)


@transaction.atomic
def prescriber_decision_record(
    *,
    by: Membership,
    session: TreatmentSession,
    kind: str,
    outcome: str,
    reason: str,
    subject: str = "",
) -> PrescriberDecision:
    """A prescriber's recorded decision: proceed despite BP, review of a suicidality flag, a dose
    override, or hold."""
    _need(by, Perm.TREATMENT_PLAN)
    s = _lock_session(by, session)
    if kind not in DecisionKind.values:
        raise ValidationError({"kind": f"Allowed: {', '.join(DecisionKind.values)}"})
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": f"Allowed: {', '.join(DecisionOutcome.values)}"})
    if not reason.strip():
        raise ValidationError({"reason": "Write the reason for the decision."})
    decision = PrescriberDecision.objects.create(
        session=s,
        kind=kind,
        outcome=outcome,
        reason=reason.strip(),
        subject=subject,
        decided_by_id=by.user_id,
        decided_at=timezone.now(),
    )
    audit_record(
        event_type=EventType.PRESCRIBER_DECISION,
        actor=by,
        obj=decision,
        patient_id=s.patient_id,
        reason=decision.reason,
        extra={"session_id": s.pk, "kind": kind, "outcome": outcome, "subject": subject},
    )
    return decision


#: The checklist answers a re-recording may change (the vitals are readings: record new ones).
CHECKLIST_ANSWERS = (
    "fasting_confirmed",
    "ride_home_confirmed",
    "nasal_medication_timing_ok",
    "pregnancy_status",
    "scales_reviewed",
    "notes",
)


@transaction.atomic
def checklist_rerecord(
    *,
    by: Membership,
    session: TreatmentSession,
    reason: str,
    fasting_confirmed: bool,
    ride_home_confirmed: bool,
    pregnancy_status: str,
    scales_reviewed: bool,
    nasal_medication_timing_ok: bool | None = None,
    notes: str = "",
) -> list[str]:
    """Record the checklist's answers again before dosing (a box ticked once the patient has
    confirmed it), with a reason. The earlier answers are kept (ChecklistRevision). Returns what
    still blocks dosing."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    checklist = PreDoseChecklist.objects.select_for_update().filter(session=s).first()
    if checklist is None:
        raise ValidationError("Record the checklist first.")
    if DoseAdministration.objects.filter(session=s).exists():
        raise ValidationError("The dose is recorded: the checklist before it stays as it was.")
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Say why the checklist is recorded again."
    if pregnancy_status not in PregnancyStatus.values:
        errors["pregnancy_status"] = "Choose a pregnancy status."
    if s.protocol_version.protocol.drug is Drug.ESKETAMINE and nasal_medication_timing_ok is None:
        errors["nasal_medication_timing_ok"] = (
            "Esketamine: nasal steroid or decongestant at least 1 hour before? Answer yes or no "
            "[DrOracle; LADMH]."
        )
    if errors:
        raise ValidationError(errors)
    new = {
        "fasting_confirmed": fasting_confirmed,
        "ride_home_confirmed": ride_home_confirmed,
        "nasal_medication_timing_ok": nasal_medication_timing_ok,
        "pregnancy_status": pregnancy_status,
        "scales_reviewed": scales_reviewed,
        "notes": notes.strip(),
    }
    old = {k: getattr(checklist, k) for k in CHECKLIST_ANSWERS}
    if old == new:
        raise ValidationError("These are the answers already recorded.")
    now = timezone.now()
    revision = ChecklistRevision.objects.create(
        checklist=checklist,
        old_answers={
            **old,
            "recorded_by": checklist.recorded_by_id,
            "recorded_at": checklist.recorded_at.isoformat(),
        },
        reason=reason.strip(),
        recorded_by_id=by.user_id,
        recorded_at=now,
    )
    for k, v in new.items():
        setattr(checklist, k, v)
    checklist.recorded_by_id = by.user_id
    checklist.recorded_at = now
    checklist.save(update_fields=[*CHECKLIST_ANSWERS, "recorded_by", "recorded_at"])
    audit_record(
        event_type=EventType.CHECKLIST_RECORDED,
        actor=by,
        obj=checklist,
        patient_id=s.patient_id,
        reason=revision.reason,
        changes={
            k: (old[k], new[k]) for k in CHECKLIST_ANSWERS if k != "notes" and old[k] != new[k]
        },
        extra={"session_id": s.pk, "revision_id": revision.pk},
    )
    s.refresh_from_db()
    return dosing_blockers(s)


__all__ = [
    "CHECKLIST_ANSWERS",
    "checklist_record",
    "checklist_rerecord",
    "prescriber_decision_record",
]
