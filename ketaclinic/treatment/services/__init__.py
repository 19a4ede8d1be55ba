"""Writes of the treatment app. Each is keyword-only, typed, checks the actor's permission, runs in
one transaction and writes its audit event inside it. The clinical arithmetic and rules are the
pure modules' (dosing, schedule, monitoring, rems, protocol); these functions apply them to the
stored records and refuse with ``ValidationError`` messages naming the field.

A signed session is locked: every write below refuses it, except ``session_amend`` (an
Amendment row; the original stays) and ``rems_form_mark_submitted`` (the filing receipt).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm, roles_with
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate
from ketaclinic.alerts.models import Alert, AlertKind, AlertSource, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.audit.models import EventType, SignatureMeaning
from ketaclinic.audit.services import audit_record
from ketaclinic.audit.signatures import signature_record
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors import latest_weight
from ketaclinic.treatment.domain import dosing, monitoring, rems, schedule
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import (
    LABEL_RULES_SPRAVATO_2024,
    WEIGHT_BASED,
    DoseBasis,
    Drug,
    Frequency,
    Measure,
    protocol_to_dict,
    validate_protocol,
)
from ketaclinic.treatment.domain.protocol import Protocol as PureProtocol
from ketaclinic.treatment.models import (
    OBSERVATION_CODING,
    AdverseEvent,
    AdverseEventType,
    AeOutcome,
    AeSeverity,
    Amendment,
    ClinicClosure,
    Course,
    DecisionKind,
    DecisionOutcome,
    DoseAdministration,
    Observation,
    PreDoseChecklist,
    PregnancyStatus,
    PrescriberDecision,
    Protocol,
    ProtocolVersion,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.record import (
    AMENDABLE_FIELDS,
    build_pmf,
    current_value,
    dose_content,
    open_alert_count_for_session,
    pmf_from_dict,
    pmf_to_dict,
    session_content,
)
from ketaclinic.treatment.selectors import (
    baseline_observations,
    dosing_blockers,
    predose_bp,
    pure_observations,
)


def _need(by: Membership, *perms: Perm) -> None:
    if not any(by.can(p) for p in perms):
        raise PermissionDenied


def _own(by: Membership, clinic_id: int) -> None:
    if clinic_id != by.clinic_id:
        raise PermissionDenied


_SIGNED_AND_LOCKED = "This session is signed and locked; a change is an amendment with a reason."
_MEASURE_CODES = frozenset(m.value for m in Measure)


def _lock_session(by: Membership, session: TreatmentSession) -> TreatmentSession:
    """Re-read the session under a row lock (PostgreSQL; SQLite writers are serialised by the
    IMMEDIATE transaction mode) and refuse a signed one."""
    _own(by, session.clinic_id)
    locked = (
        TreatmentSession.objects.select_for_update()
        .select_related("protocol_version", "patient", "clinic", "course")
        .get(pk=session.pk)
    )
    if locked.signed_at is not None:
        raise ValidationError(_SIGNED_AND_LOCKED)
    return locked


def _now_or(value: dt.datetime | None, field: str) -> dt.datetime:
    now = timezone.now()
    if value is None:
        return now
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError({field: "Give a time with its time zone."})
    if value > now + dt.timedelta(minutes=1):
        raise ValidationError({field: "This time is in the future; record what has happened."})
    return value


# --------------------------------------------------------------------------------------------
# Protocols


def _protocol_errors(p: PureProtocol) -> None:
    errors = validate_protocol(p)
    if errors:
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field, []).append(str(e))
        raise ValidationError(by_field)


@transaction.atomic
def protocol_create(
    *, by: Membership, protocol: PureProtocol, library_code: str = "", change_note: str = ""
) -> ProtocolVersion:
    """A new clinic protocol with its version 1. An invalid protocol is refused, each message
    naming its field (``dose.maximum: allowed range ends at ...``)."""
    _need(by, Perm.PROTOCOL_MANAGE)
    _protocol_errors(protocol)
    if Protocol.objects.filter(clinic_id=by.clinic_id, code=protocol.code).exists():
        raise ValidationError(
            {"code": f"code: a protocol {protocol.code!r} already exists in this clinic."}
        )
    now = timezone.now()
    family = Protocol.objects.create(
        clinic_id=by.clinic_id,
        code=protocol.code,
        title=protocol.title,
        library_code=library_code,
        created_at=now,
        created_by_id=by.user_id,
    )
    version = ProtocolVersion.objects.create(
        family=family,
        number=1,
        data=protocol_to_dict(protocol),
        change_note=change_note or "First version",
        created_at=now,
        created_by_id=by.user_id,
    )
    audit_record(
        event_type=EventType.PROTOCOL_CREATED,
        actor=by,
        obj=version,
        extra={"protocol_id": family.pk, "code": protocol.code, "library_code": library_code},
    )
    return version


@transaction.atomic
def protocol_new_version(
    *, by: Membership, family: Protocol, protocol: PureProtocol, change_note: str
) -> ProtocolVersion:
    """A change to a protocol is a new version; sessions keep the version they ran under."""
    _need(by, Perm.PROTOCOL_MANAGE)
    _own(by, family.clinic_id)
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed and why."})
    protocol = dataclasses.replace(protocol, code=family.code)
    _protocol_errors(protocol)
    locked = Protocol.objects.select_for_update().get(pk=family.pk)
    last = locked.versions.order_by("-number").first()
    data = protocol_to_dict(protocol)
    if last is not None and last.data == data:
        raise ValidationError("Nothing changed: this is the current version.")
    version = ProtocolVersion.objects.create(
        family=locked,
        number=(last.number if last else 0) + 1,
        data=data,
        change_note=change_note.strip(),
        created_at=timezone.now(),
        created_by_id=by.user_id,
    )
    if locked.title != protocol.title:
        locked.title = protocol.title
        locked.save(update_fields=["title"])
    changed = sorted(k for k in data if last is None or last.data.get(k) != data[k])
    audit_record(
        event_type=EventType.PROTOCOL_VERSIONED,
        actor=by,
        obj=version,
        reason=change_note.strip(),
        extra={"protocol_id": locked.pk, "number": version.number, "changed": changed},
    )
    return version


def protocol_copy_from_library(*, by: Membership, library_code: str) -> ProtocolVersion:
    """Copy a shipped protocol into the clinic (idempotent: an existing copy is returned)."""
    if library_code not in SHIPPED_PROTOCOLS:
        raise ValidationError(
            {"library_code": f"Unknown protocol; allowed: {sorted(SHIPPED_PROTOCOLS)}"}
        )
    existing = (
        ProtocolVersion.objects.filter(family__clinic_id=by.clinic_id, family__code=library_code)
        .order_by("-number")
        .first()
    )
    if existing is not None:
        return existing
    return protocol_create(
        by=by,
        protocol=SHIPPED_PROTOCOLS[library_code],
        library_code=library_code,
        change_note="Copied from the ketaclinic library",
    )


# --------------------------------------------------------------------------------------------
# Courses and the calendar


def clinic_closure_dates(clinic_id: int, since: dt.date | None = None) -> frozenset[dt.date]:
    """The clinic's closed dates (cancelled closures excluded)."""
    qs = ClinicClosure.objects.filter(clinic_id=clinic_id, cancelled=False)
    if since is not None:
        qs = qs.filter(date__gte=since)
    return frozenset(qs.values_list("date", flat=True))


def clinic_calendar(by: Membership) -> schedule.ClinicCalendar:
    """The clinic's time zone, opening days and closures (ClinicClosure rows not cancelled)."""
    clinic = by.clinic
    return schedule.ClinicCalendar(
        tz=clinic.tzinfo,
        open_weekdays=frozenset(int(d) for d in clinic.opening_days),
        closures=clinic_closure_dates(clinic.pk),
    )


def _clinic_today(by: Membership) -> dt.date:
    return timezone.now().astimezone(by.clinic.tzinfo).date()


@transaction.atomic
def closure_add(*, by: Membership, date: dt.date, reason: str) -> ClinicClosure:
    """Close the clinic on ``date``. Calendars generated from now on skip it; sessions already
    scheduled that day are not moved silently: ``selectors.sessions_on_closures`` lists them
    for staff to move one by one."""
    _need(by, Perm.SCHEDULE_MANAGE, Perm.PROTOCOL_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the clinic is closed (e.g. public holiday)."})
    if date < _clinic_today(by):
        raise ValidationError(
            {"date": f"{date.isoformat()} has passed; closures are for days ahead."}
        )
    if ClinicClosure.objects.filter(clinic_id=by.clinic_id, date=date, cancelled=False).exists():
        raise ValidationError({"date": f"The clinic is already closed on {date.isoformat()}."})
    closure = ClinicClosure.objects.create(
        clinic_id=by.clinic_id,
        date=date,
        reason=reason,
        created_by_id=by.user_id,
        created_at=timezone.now(),
    )
    tz = by.clinic.tzinfo
    day_start = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    affected = list(
        TreatmentSession.objects.filter(
            clinic_id=by.clinic_id,
            phase=SessionPhase.SCHEDULED,
            scheduled_at__gte=day_start,
            scheduled_at__lt=dt.datetime.combine(
                date + dt.timedelta(days=1), dt.time(0), tzinfo=tz
            ),
        ).values_list("pk", flat=True)
    )
    audit_record(
        event_type=EventType.CLOSURE_ADDED,
        actor=by,
        obj=closure,
        reason=reason,
        extra={"date": date.isoformat(), "sessions_to_move": affected},
    )
    return closure


@transaction.atomic
def closure_cancel(*, by: Membership, closure: ClinicClosure, reason: str) -> ClinicClosure:
    """Re-open a closed day. The closure keeps its row, marked cancelled with the reason."""
    _need(by, Perm.SCHEDULE_MANAGE, Perm.PROTOCOL_MANAGE)
    _own(by, closure.clinic_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the closure is cancelled."})
    locked = ClinicClosure.objects.select_for_update().get(pk=closure.pk)
    if locked.cancelled:
        raise ValidationError("This closure is already cancelled.")
    locked.cancelled = True
    locked.cancelled_reason = reason
    locked.cancelled_by_id = by.user_id
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["cancelled", "cancelled_reason", "cancelled_by", "cancelled_at"])
    audit_record(
        event_type=EventType.CLOSURE_CANCELLED,
        actor=by,
        obj=locked,
        reason=reason,
        changes={"cancelled": (False, True)},
        extra={"date": locked.date.isoformat()},
    )
    return locked


def plan_calendar(
    *,
    by: Membership,
    version: ProtocolVersion,
    start_date: dt.date,
    session_time: dt.time,
    chosen_frequencies: Mapping[str, Frequency] | None = None,
    horizon_weeks: int = 12,
) -> schedule.CalendarResult:
    """The calendar a course would get (shown before enrolling), skipping the clinic's closures."""
    try:
        return schedule.generate_calendar(
            version.protocol.schedule,
            start=start_date,
            clinic=clinic_calendar(by),
            session_time=session_time,
            chosen_frequencies=chosen_frequencies,
            horizon_weeks=horizon_weeks,
        )
    except schedule.ScheduleError as exc:
        raise ValidationError({exc.field: str(exc)}) from None


@transaction.atomic
def course_enrol(
    *,
    by: Membership,
    patient: Patient,
    version: ProtocolVersion,
    decision_note: str,
    start_date: dt.date,
    session_time: dt.time,
    indication: str = "",
    chair: str = "",
    chosen_frequencies: Mapping[str, Frequency] | None = None,
    horizon_weeks: int = 12,
) -> Course:
    """A prescriber enrols the patient; the course's sessions come from the protocol's schedule,
    the clinic's opening days, closures (ClinicClosure) and time zone
    (schedule.generate_calendar). Screening does not exist yet, so the prescriber's decision
    note is required."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, patient.clinic_id)
    _own(by, version.family.clinic_id)
    if patient.is_archived:
        raise ValidationError("This patient is archived.")
    if not decision_note.strip():
        raise ValidationError(
            {
                "decision_note": "Record the prescriber's decision to treat (screening is not yet "
                "available)."
            }
        )
    protocol = version.protocol
    result = plan_calendar(
        by=by,
        version=version,
        start_date=start_date,
        session_time=session_time,
        chosen_frequencies=chosen_frequencies,
        horizon_weeks=horizon_weeks,
    )
    last_day = max((p.local_date for p in result.sessions), default=start_date)
    closures = sorted(d for d in clinic_closure_dates(by.clinic_id, start_date) if d <= last_day)
    notes: list[str] = [
        f"{s.phase_code}: {s.placed} of {s.wanted} sessions placed between "
        f"{s.period_start.isoformat()} and {s.period_end.isoformat()}; arrange the rest by hand."
        for s in result.shortfalls
    ]
    notes += [
        f"Session {s.number} on {s.local_date.isoformat()} moved to {s.local_time:%H:%M} "
        "(the time does not exist on a daylight-saving change)."
        for s in result.sessions
        if s.shifted_by_dst_gap
    ]
    course = Course.objects.create(
        clinic_id=by.clinic_id,
        patient=patient,
        protocol_version=version,
        indication=indication or protocol.indication,
        decision_note=decision_note.strip(),
        enrolled_by_id=by.user_id,
        enrolled_at=timezone.now(),
        start_date=start_date,
        session_time=session_time,
        default_chair=chair,
        chosen_frequencies={
            k: {"sessions": f.sessions, "per_weeks": f.per_weeks}
            for k, f in (chosen_frequencies or {}).items()
        },
        calendar_notes=notes,
    )
    for planned in result.sessions:
        TreatmentSession.objects.create(
            clinic_id=by.clinic_id,
            patient=patient,
            course=course,
            protocol_version=version,
            number=planned.number,
            phase_code=planned.phase_code,
            scheduled_at=planned.starts_at,
            chair=chair,
        )
    audit_record(
        event_type=EventType.COURSE_ENROLLED,
        actor=by,
        obj=course,
        patient_id=patient.pk,
        reason=course.decision_note,
        extra={
            "protocol_version_id": version.pk,
            "sessions": len(result.sessions),
            "closures": [d.isoformat() for d in closures],
            "shortfalls": len(result.shortfalls),
        },
    )
    return course


def _session_audit(
    by: Membership, session: TreatmentSession, event: EventType, **kwargs: Any
) -> None:
    audit_record(event_type=event, actor=by, obj=session, patient_id=session.patient_id, **kwargs)


@transaction.atomic
def session_move(
    *,
    by: Membership,
    session: TreatmentSession,
    new_date: dt.date,
    reason: str,
    new_time: dt.time | None = None,
    chair: str | None = None,
) -> TreatmentSession:
    _need(by, Perm.SCHEDULE_MANAGE)
    s = _lock_session(by, session)
    if not reason.strip():
        raise ValidationError({"reason": "A reason is required."})
    if s.phase != SessionPhase.SCHEDULED:
        raise ValidationError(f"Only a scheduled session can be moved; this one is {s.phase}.")
    cal = clinic_calendar(by)
    if new_date in cal.closures:
        raise ValidationError({"new_date": f"The clinic is closed on {new_date.isoformat()}."})
    if not cal.is_open(new_date):
        raise ValidationError(
            {"new_date": f"{new_date.isoformat()} is not an opening day of the clinic."}
        )
    tz = by.clinic.tzinfo
    day_start = dt.datetime.combine(new_date, dt.time(0), tzinfo=tz)
    clash = (
        TreatmentSession.objects.filter(
            course_id=s.course_id,
            scheduled_at__gte=day_start,
            scheduled_at__lt=day_start + dt.timedelta(days=1),
        )
        .exclude(pk=s.pk)
        .exclude(phase__in=[SessionPhase.CANCELLED, SessionPhase.MISSED])
        .exists()
    )
    if clash:
        raise ValidationError({"new_date": f"Another session of this course is on {new_date}."})
    at = new_time or s.scheduled_at.astimezone(tz).time().replace(tzinfo=None)
    starts_at, _, _ = schedule.local_instant(new_date, at, tz)
    old = s.scheduled_at
    s.moved_from = s.moved_from or old
    s.scheduled_at = starts_at
    s.status_reason = reason.strip()
    fields = ["scheduled_at", "moved_from", "status_reason"]
    if chair is not None:
        s.chair = chair
        fields.append("chair")
    s.save(update_fields=fields)
    _session_audit(
        by,
        s,
        EventType.SESSION_UPDATED,
        reason=s.status_reason,
        changes={"scheduled_at": (old, starts_at)},
    )
    return s


def missed_session_guidance(session: TreatmentSession) -> str:
    return missed_guidance_for(session.protocol_version.protocol)


def missed_guidance_for(protocol: PureProtocol) -> str:
    """The label's missed-session guidance for the protocol's drug (shown where a session is
    marked missed, on the course page and on a missed session's page)."""
    if protocol.drug is Drug.ESKETAMINE:
        return schedule.MISSED_SESSION_GUIDANCE
    return (
        "Missed session: the prescriber decides whether to add a session or continue the "
        "course as planned (no label guidance exists for racemic ketamine)."
    )


def _end_session(
    by: Membership, session: TreatmentSession, phase: SessionPhase, reason: str
) -> TreatmentSession:
    _need(by, Perm.SCHEDULE_MANAGE)
    s = _lock_session(by, session)
    if not reason.strip():
        raise ValidationError({"reason": "A reason is required."})
    if s.dose_started_at is not None or s.phase in (
        SessionPhase.DONE,
        SessionPhase.MISSED,
        SessionPhase.CANCELLED,
    ):
        raise ValidationError(f"This session is already {s.get_phase_display().lower()}.")
    old = s.phase
    s.phase = phase
    s.status_reason = reason.strip()
    s.save(update_fields=["phase", "status_reason"])
    _session_audit(
        by, s, EventType.SESSION_UPDATED, reason=s.status_reason, changes={"phase": (old, phase)}
    )
    return s


@transaction.atomic
def session_miss(*, by: Membership, session: TreatmentSession, reason: str) -> str:
    """Mark the session missed; returns the label's missed-session guidance to show."""
    s = _end_session(by, session, SessionPhase.MISSED, reason)
    return missed_session_guidance(s)


@transaction.atomic
def session_cancel(*, by: Membership, session: TreatmentSession, reason: str) -> TreatmentSession:
    return _end_session(by, session, SessionPhase.CANCELLED, reason)


def _set_phase(by: Membership, s: TreatmentSession, phase: SessionPhase, **extra: Any) -> None:
    old = s.phase
    s.phase = phase
    for k, v in extra.items():
        setattr(s, k, v)
    s.save(update_fields=["phase", *extra])
    _session_audit(by, s, EventType.SESSION_PHASE_CHANGED, changes={"phase": (old, phase)})


@transaction.atomic
def session_check_in(
    *, by: Membership, session: TreatmentSession, chair: str | None = None
) -> TreatmentSession:
    _need(by, Perm.SCHEDULE_MANAGE, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    if s.phase != SessionPhase.SCHEDULED:
        raise ValidationError(f"Only a scheduled session can be checked in; this one is {s.phase}.")
    extra: dict[str, Any] = {"checked_in_at": timezone.now()}
    if chair:
        extra["chair"] = chair
    _set_phase(by, s, SessionPhase.CHECKED_IN, **extra)
    return s


# --------------------------------------------------------------------------------------------
# Checklist and prescriber decisions


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
    nasal_medication_timing_ok: bool | None = None,
    notes: str = "",
    measured_at: dt.datetime | None = None,
) -> list[str]:
    """Record the pre-dose checklist and the pre-dose vitals. Returns what still blocks dosing
    (a suicidality flag without a prescriber's review; a pre-dose blood pressure above the
    protocol's threshold without a prescriber's decision; an unconfirmed item)."""
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
    now = timezone.now()
    vitals_at = _now_or(measured_at, "measured_at")
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


# --------------------------------------------------------------------------------------------
# Dose


@dataclasses.dataclass(frozen=True)
class DosePreview:
    """What the dose form shows before recording: mg, mg/kg, mL, mL/h, and the verdict."""

    dose_mg: Decimal
    dose_mg_per_kg: Decimal | None
    weight_kg: Decimal | None
    weight_measured_at: dt.datetime | None
    volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    infusion_minutes: int | None
    device_count: int | None
    verdict: str
    message: str


def dose_preview(
    *,
    session: TreatmentSession,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    now: dt.datetime | None = None,
) -> DosePreview:
    """The dose computed from the protocol and the patient's latest weight (pure dosing.py).
    Raises ValidationError when no dose can be computed (no weight, weight too old)."""
    protocol = session.protocol_version.protocol
    rule = protocol.dose
    now = now or timezone.now()
    if protocol.devices is not None:
        mg = dose_mg if dose_mg is not None else rule.usual
        prior = _prior_doses(session)
        if not prior and rule.first_dose_mg is not None and dose_mg is None:
            mg = rule.first_dose_mg
        check = dosing.check_esketamine_dose(rule, dose_mg=mg, prior_doses_mg=prior)
        try:
            count = dosing.esketamine_device_count(mg, protocol.devices)
        except dosing.DoseError as exc:
            raise ValidationError({"dose_mg": str(exc)}) from None
        return DosePreview(
            mg, None, None, None, None, None, None, count, check.verdict.value, check.message
        )
    if rule.basis in WEIGHT_BASED:
        weight = latest_weight(patient=session.patient)
        if weight is None:
            raise ValidationError(
                {"weight": "No weight is recorded: weigh the patient before dosing."}
            )
        try:
            plan = dosing.plan_weight_based_dose(
                protocol,
                weight_kg=weight.weight_kg,
                weight_measured_at=weight.measured_at,
                now=now,
                amount=amount,
                concentration_mg_per_ml=concentration_mg_per_ml,
            )
        except dosing.DoseError as exc:
            raise ValidationError({exc.field: str(exc)}) from None
        if not plan.weight.usable:
            raise ValidationError({"weight": plan.weight.message})
        return DosePreview(
            plan.dose_mg,
            plan.dose_mg_per_kg,
            weight.weight_kg,
            weight.measured_at,
            plan.volume_ml,
            plan.rate_ml_per_h,
            plan.infusion_minutes,
            None,
            plan.check.verdict.value,
            plan.check.message,
        )
    # Fixed mg or mg/h for racemic ketamine.
    try:
        mg = dosing.dose_mg_from_rule(
            rule, weight_kg=None, amount=amount, infusion_minutes=protocol.infusion_minutes
        )
        if dose_mg is not None:
            mg = dose_mg
        check = dosing.check_dose_range(
            rule, dose_mg=mg, weight_kg=None, infusion_minutes=protocol.infusion_minutes
        )
        volume = rate = None
        if concentration_mg_per_ml is not None:
            rounding = dosing.round_volume(mg, concentration_mg_per_ml=concentration_mg_per_ml)
            volume, mg = rounding.volume_ml, rounding.dose_mg
            if protocol.infusion_minutes:
                rate = dosing.infusion_rate_ml_per_h(
                    volume, infusion_minutes=protocol.infusion_minutes
                )
            check = dosing.check_dose_range(
                rule, dose_mg=mg, weight_kg=None, infusion_minutes=protocol.infusion_minutes
            )
    except dosing.DoseError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    return DosePreview(
        mg,
        None,
        None,
        None,
        volume,
        rate,
        protocol.infusion_minutes,
        None,
        check.verdict.value,
        check.message,
    )


def _prior_doses(session: TreatmentSession) -> list[Decimal]:
    return list(
        DoseAdministration.objects.filter(
            session__course_id=session.course_id, session__number__lt=session.number
        ).values_list("dose_mg", flat=True)
    )


def _override_reason(
    by: Membership, s: TreatmentSession, preview: DosePreview, override_reason: str
) -> str:
    """Refuse a refused dose; for one outside the range, the prescriber's reason (recorded now
    as a decision when the prescriber doses, else a decision recorded before)."""
    reason = override_reason.strip()
    if preview.verdict == dosing.Verdict.REFUSED:
        raise ValidationError({"dose_mg": preview.message})
    if preview.verdict != dosing.Verdict.NEEDS_OVERRIDE:
        return reason
    subject = f"dose:{preview.dose_mg}"
    if by.can(Perm.TREATMENT_PLAN):
        if not reason:
            raise ValidationError({"override_reason": preview.message})
        prescriber_decision_record(
            by=by,
            session=s,
            kind=DecisionKind.DOSE_OVERRIDE,
            outcome=DecisionOutcome.PROCEED,
            reason=reason,
            subject=subject,
        )
        return reason
    decision = s.decisions.filter(
        kind=DecisionKind.DOSE_OVERRIDE, outcome=DecisionOutcome.PROCEED, subject=subject
    ).last()
    if decision is None:
        raise ValidationError(
            {"override_reason": f"{preview.message} Ask the prescriber to record it."}
        )
    return decision.reason


@dataclasses.dataclass(frozen=True)
class WitnessSignOff:
    """What the witness types at the chair: their own username, password and a current TOTP
    code (entered on the same device as the person giving the dose)."""

    username: str
    password: str = dataclasses.field(repr=False)
    token: str = dataclasses.field(repr=False)


WITNESS_REFUSED = (
    "The witness could not be confirmed: the username, password or 6-digit code is not right "
    "(after 5 failures in 15 minutes the check is paused for 15 minutes). "
    "The dose was not recorded; the witness enters their own details again."
)


class _WitnessRefusedError(Exception):
    def __init__(self, why: str, message: str, witness: Membership | None) -> None:
        super().__init__(message)
        self.why = why
        self.message = message
        self.witness = witness


def _witness_membership(by: Membership, sign_off: WitnessSignOff) -> Membership:
    """The witness: an active member of the clinic's clinical staff (a role that may administer
    treatment), not the person giving the dose."""
    username = sign_off.username.strip()
    witness = (
        Membership.objects.select_related("user", "clinic")
        .filter(
            clinic_id=by.clinic_id,
            is_active=True,
            role__in=roles_with(Perm.TREATMENT_ADMINISTER),
            user__username=username,
            user__is_active=True,
        )
        .first()
        if username
        else None
    )
    if witness is None:
        raise _WitnessRefusedError("unknown_witness", WITNESS_REFUSED, None)
    if witness.user_id == by.user_id:
        raise _WitnessRefusedError(
            "same_person",
            "The witness must be another person than the one giving the dose.",
            witness,
        )
    return witness


def _witness_confirm(by: Membership, witness: WitnessSignOff | None) -> Membership | None:
    if witness is None:
        return None
    membership = _witness_membership(by, witness)
    if not reauthenticate(membership=membership, password=witness.password, token=witness.token):
        raise _WitnessRefusedError("credentials", WITNESS_REFUSED, membership)
    return membership


def _witness_sign(dose: DoseAdministration, witness: Membership | None) -> int | None:
    """The witness's e-signature, meaning "witness", bound to the dose as recorded."""
    if witness is None:
        return None
    dose.refresh_from_db()  # the content as stored (Decimal places, times), as verified later
    dose.witnessed_by_id = witness.user_id
    signature = signature_record(
        by=witness,
        printed_name=witness.user.display_name,
        obj=dose,
        content=dose_content(dose),
        meaning=SignatureMeaning.WITNESS,
    )
    dose.witness_signature = signature
    dose.save(update_fields=["witnessed_by", "witness_signature"])
    return signature.pk


def dose_record(
    *,
    by: Membership,
    session: TreatmentSession,
    product: str,
    lot_number: str,
    expiry_date: dt.date,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    started_at: dt.datetime | None = None,
    device_times: list[dt.datetime] | None = None,
    witness: WitnessSignOff | None = None,
    override_reason: str = "",
) -> DoseAdministration:
    """Record the dose. The dose comes from the pure dosing rules: the latest weight within the
    protocol's age limit (30 days by default) or refused; mg and mg/kg; for IV the mL and mL/h
    from the concentration; a dose outside the range needs a prescriber's override with a
    reason; a dose above the absolute cap, or 84 mg esketamine without a prior 56 mg, is refused.

    A witness signs off at the chair: their own username (the clinic's clinical staff), password
    and TOTP code, checked by ``accounts.services.reauthenticate`` on the witness's membership
    once everything else about the dose is valid (so a form error does not spend their code).
    The witness must be another person. The witness's e-signature (meaning "witness") is bound
    to the dose's content. A refusal records nothing of the dose and is audited
    (``DOSE_WITNESS_FAILED``, and the witness's ``REAUTH_FAILED``) in its own transaction.
    """
    try:
        return _dose_record(
            by=by,
            session=session,
            product=product,
            lot_number=lot_number,
            expiry_date=expiry_date,
            dose_mg=dose_mg,
            amount=amount,
            concentration_mg_per_ml=concentration_mg_per_ml,
            started_at=started_at,
            device_times=device_times,
            witness=witness,
            override_reason=override_reason,
        )
    except _WitnessRefusedError as refused:
        # The dose's transaction rolled back, with any audit event written inside it: record
        # the refusal now, committed on its own.
        with transaction.atomic():
            if refused.witness is not None and refused.why == "credentials":
                audit_record(
                    event_type=EventType.REAUTH_FAILED,
                    actor=refused.witness,
                    extra={"purpose": "dose_witness", "session_id": session.pk},
                )
            audit_record(
                event_type=EventType.DOSE_WITNESS_FAILED,
                actor=by,
                obj=session,
                patient_id=session.patient_id,
                extra={
                    "why": refused.why,
                    "witness_user_id": refused.witness.user_id if refused.witness else None,
                },
            )
        raise ValidationError({"witness_password": refused.message}) from None


@transaction.atomic
def _dose_record(
    *,
    by: Membership,
    session: TreatmentSession,
    product: str,
    lot_number: str,
    expiry_date: dt.date,
    dose_mg: Decimal | None,
    amount: Decimal | None,
    concentration_mg_per_ml: Decimal | None,
    started_at: dt.datetime | None,
    device_times: list[dt.datetime] | None,
    witness: WitnessSignOff | None,
    override_reason: str,
) -> DoseAdministration:
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    blockers = dosing_blockers(s)
    if blockers:
        raise ValidationError(["Dosing is blocked:", *blockers])
    if hasattr(s, "dose") and DoseAdministration.objects.filter(session=s).exists():
        raise ValidationError("The dose of this session is already recorded.")
    protocol = s.protocol_version.protocol
    for field, value in (("product", product), ("lot_number", lot_number)):
        if not value.strip():
            raise ValidationError({field: "Required (typed in until the stock ledger exists)."})
    today = timezone.now().astimezone(by.clinic.tzinfo).date()
    if expiry_date < today:
        raise ValidationError({"expiry_date": f"This lot expired on {expiry_date.isoformat()}."})
    if protocol.route.value == "iv_infusion" and concentration_mg_per_ml is None:
        raise ValidationError(
            {"concentration_mg_per_ml": "An infusion needs the product's concentration (mg/mL)."}
        )
    preview = dose_preview(
        session=s,
        dose_mg=dose_mg,
        amount=amount,
        concentration_mg_per_ml=concentration_mg_per_ml,
    )
    times: list[dt.datetime] = []
    if protocol.devices is not None:
        times = [_now_or(t, "device_times") for t in (device_times or [])]
        if len(times) != preview.device_count:
            raise ValidationError(
                {
                    "device_times": f"{preview.dose_mg} mg is {preview.device_count} devices of "
                    f"{protocol.devices.mg_per_device} mg: give the time of each device."
                }
            )
        problems = dosing.check_device_timing(times, protocol.devices)
        if problems:
            raise ValidationError({"device_times": problems})
        start = times[0]
    else:
        start = _now_or(started_at, "started_at")
    bp = predose_bp(s)
    if bp is not None and start < bp.measured_at:
        raise ValidationError(
            {
                "started_at": "Dosing cannot start before the pre-dose blood pressure "
                f"({bp.measured_at.astimezone(by.clinic.tzinfo):%H:%M})."
            }
        )
    reason = _override_reason(by, s, preview, override_reason)
    # Last check before writing: the witness's code is not spent on a form error.
    witness_membership = _witness_confirm(by, witness)
    dose = DoseAdministration.objects.create(
        session=s,
        dose_mg=preview.dose_mg,
        dose_mg_per_kg=preview.dose_mg_per_kg,
        weight_kg=preview.weight_kg,
        weight_measured_at=preview.weight_measured_at,
        product=product.strip(),
        lot_number=lot_number.strip(),
        expiry_date=expiry_date,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=preview.volume_ml,
        rate_ml_per_h=preview.rate_ml_per_h,
        infusion_minutes=preview.infusion_minutes,
        device_count=preview.device_count,
        device_times=[t.astimezone(dt.UTC).isoformat() for t in times],
        started_at=start,
        override_reason=reason,
        given_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    witness_signature_id = _witness_sign(dose, witness_membership)
    audit_record(
        event_type=EventType.DOSE_RECORDED,
        actor=by,
        obj=dose,
        patient_id=s.patient_id,
        reason=reason,
        extra={
            "session_id": s.pk,
            "dose_mg": preview.dose_mg,
            "dose_mg_per_kg": preview.dose_mg_per_kg,
            "weight_kg": preview.weight_kg,
            "volume_ml": preview.volume_ml,
            "rate_ml_per_h": preview.rate_ml_per_h,
            "lot_number": dose.lot_number,
            "witnessed_by": dose.witnessed_by_id,
            "witness_signature_id": witness_signature_id,
        },
    )
    _set_phase(by, s, SessionPhase.DOSING, dose_started_at=start)
    return dose


# --------------------------------------------------------------------------------------------
# Observations and alerts

_ALERT_KINDS: dict[monitoring.AlertKind, AlertKind] = {
    monitoring.AlertKind.BP_RISE: AlertKind.BLOOD_PRESSURE,
    monitoring.AlertKind.SPO2_LOW: AlertKind.OXYGEN_SATURATION,
    monitoring.AlertKind.SPO2_DROP: AlertKind.OXYGEN_SATURATION,
    monitoring.AlertKind.HEART_RATE_LOW: AlertKind.HEART_RATE,
    monitoring.AlertKind.HEART_RATE_HIGH: AlertKind.HEART_RATE,
    monitoring.AlertKind.SEDATION: AlertKind.SEDATION,
    monitoring.AlertKind.LOSS_OF_CONSCIOUSNESS: AlertKind.LOSS_OF_CONSCIOUSNESS,
}


def _observation_create(
    by: Membership,
    s: TreatmentSession,
    measure: Measure,
    *,
    measured_at: dt.datetime,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
) -> tuple[Observation, list[monitoring.Alert]]:
    pure = monitoring.Observation(
        measure=measure,
        taken_at=measured_at,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
    )
    errors = monitoring.validate_observation(pure)
    if errors:
        fields: dict[str, list[str]] = {}
        for e in errors:
            name = e.field if e.field in ("systolic_mmhg", "diastolic_mmhg", "text") else "value"
            label = {"spo2": "SpO2", "heart_rate": "heart rate", "moaa_s": "MOAA/S"}.get(
                e.field, e.field.replace("_", " ")
            )
            fields.setdefault(name, []).append(f"{label}: {e.message}")
        raise ValidationError(fields)
    minutes = None
    if s.dose_started_at is not None:
        minutes = int((measured_at - s.dose_started_at).total_seconds() // 60)
    obs = Observation.objects.create(
        session=s,
        code=measure.value,
        unit=OBSERVATION_CODING[measure.value][0],
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
        measured_at=measured_at,
        minutes_since_dose=minutes,
        recorded_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    alerts: list[monitoring.Alert] = []
    if s.dose_started_at is not None and measured_at >= s.dose_started_at:
        baseline = monitoring.baseline_from(
            pure_observations(baseline_observations(s)), s.dose_started_at
        )
        alerts = monitoring.alerts_for(
            pure, baseline=baseline, thresholds=s.protocol_version.protocol.thresholds
        )
    # The audit event last (then the alerts' own events, in the same order as before): the
    # chain-head row lock it takes is held until the commit, so the less work after it, the
    # shorter the time every other writer in the installation waits for it.
    audit_record(
        event_type=EventType.OBSERVATION_RECORDED,
        actor=by,
        obj=obs,
        patient_id=s.patient_id,
        extra={"session_id": s.pk, "code": measure.value, "minutes_since_dose": minutes},
    )
    for alert in alerts:
        alert_raise(
            by=by,
            clinic_id=s.clinic_id,
            kind=_ALERT_KINDS[alert.kind],
            severity=Severity(alert.severity.value),
            title=f"Session {s.number}: {alert.message}",
            patient=s.patient,
            detail=alert.message,
            source_type=AlertSource.OBSERVATION,
            source_id=str(obs.pk),
        )
    return obs, alerts


@transaction.atomic
def observation_record(
    *,
    by: Membership,
    session: TreatmentSession,
    code: str,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
    measured_at: dt.datetime | None = None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """Record one measurement with its time since the start of dosing. Impossible values are
    refused (monitoring.validate_observation); a BP rise, an SpO2 drop, a heart rate out of
    range, a MOAA/S fall or a loss of consciousness raises an alert (alerts inbox, chair board).
    """
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    return _observation_record_locked(
        by,
        s,
        code=code,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
        measured_at=measured_at,
    )


@transaction.atomic
def observation_record_by_id(
    *,
    by: Membership,
    session_id: int,
    code: str,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
    measured_at: dt.datetime | None = None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """``observation_record`` for the web endpoint, which has only the session's id: the session
    is read once, already under its row lock, instead of once to check access and again to lock.
    Access is checked as ``selectors.get_session_for_user`` checks it, against the database on
    every call: another clinic's (or an unknown) session is a 404, a role without
    ``TREATMENT_ADMINISTER`` a 403. Only the session's own row is locked (``of=self``): a reading
    changes nothing in the clinic, patient, course or protocol rows, and locking them made every
    reading in a clinic wait for every other one."""
    s = (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("protocol_version")
        .filter(pk=session_id, clinic_id=by.clinic_id)
        .first()
    )
    if s is None:
        raise Http404
    _need(by, Perm.TREATMENT_ADMINISTER)
    if s.signed_at is not None:
        raise ValidationError(_SIGNED_AND_LOCKED)
    return _observation_record_locked(
        by,
        s,
        code=code,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
        measured_at=measured_at,
    )


def _observation_record_locked(
    by: Membership,
    s: TreatmentSession,
    *,
    code: str,
    value: int | None,
    systolic_mmhg: int | None,
    diastolic_mmhg: int | None,
    text: str,
    measured_at: dt.datetime | None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """The body of ``observation_record``, for a session read under its row lock."""
    if s.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    if s.phase in (SessionPhase.MISSED, SessionPhase.CANCELLED, SessionPhase.DONE):
        raise ValidationError(f"This session is {s.get_phase_display().lower()}.")
    if code not in _MEASURE_CODES:
        raise ValidationError({"code": "Choose what was measured."})
    when = _now_or(measured_at, "measured_at")
    return _observation_create(
        by,
        s,
        Measure(code),
        measured_at=when,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
    )


@transaction.atomic
def adverse_event_record(
    *,
    by: Membership,
    session: TreatmentSession,
    event_type: str,
    severity: str,
    serious: bool,
    action_taken: str,
    outcome: str,
    description: str = "",
    onset_at: dt.datetime | None = None,
) -> AdverseEvent:
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    errors: dict[str, str] = {}
    if event_type not in AdverseEventType.values:
        errors["event_type"] = "Choose a type from the list."
    if severity not in AeSeverity.values:
        errors["severity"] = "Choose mild, moderate or severe."
    if outcome not in AeOutcome.values:
        errors["outcome"] = "Choose an outcome."
    if not action_taken.strip():
        errors["action_taken"] = "Say what was done (or 'none')."
    if event_type == AdverseEventType.OTHER and not description.strip():
        errors["description"] = "Describe the event."
    if errors:
        raise ValidationError(errors)
    ae = AdverseEvent.objects.create(
        session=s,
        event_type=event_type,
        description=description.strip(),
        onset_at=_now_or(onset_at, "onset_at"),
        severity=severity,
        serious=serious,
        action_taken=action_taken.strip(),
        outcome=outcome,
        recorded_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    audit_record(
        event_type=EventType.ADVERSE_EVENT_RECORDED,
        actor=by,
        obj=ae,
        patient_id=s.patient_id,
        extra={
            "session_id": s.pk,
            "event_type": event_type,
            "severity": severity,
            "serious": serious,
            "outcome": outcome,
        },
    )
    return ae


# --------------------------------------------------------------------------------------------
# Discharge, signature, amendments


def discharge_check(
    session: TreatmentSession, criteria_met: Iterable[str], now: dt.datetime | None = None
) -> monitoring.DischargeReadiness:
    return monitoring.discharge_readiness(
        session.protocol_version.protocol,
        dose_started_at=session.dose_started_at,
        now=now or timezone.now(),
        criteria_met=set(criteria_met),
        observations=pure_observations(list(session.observations.all())),
        unresolved_alerts=open_alert_count_for_session(session),
    )


@transaction.atomic
def session_discharge(
    *,
    by: Membership,
    session: TreatmentSession,
    criteria_met: list[str],
    escort: str,
    note: str = "",
    minutes_until_ready_without_rule: int | None = None,
    hcp_phone: str = "",
    hcp_email: str = "",
) -> TreatmentSession:
    """Discharge after the protocol's criteria and observation time (esketamine: 120 minutes
    from the first device, never shortened [DailyMed; REMS]). An esketamine session gets its
    REMS Patient Monitoring Form data here."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    if s.dose_started_at is None:
        raise ValidationError("Dosing has not started.")
    if s.discharged_at is not None:
        raise ValidationError("The patient is already discharged.")
    if not escort.strip():
        raise ValidationError({"escort": "Record who takes the patient home (no driving today)."})
    now = timezone.now()
    readiness = discharge_check(s, criteria_met, now)
    if not readiness.ready:
        raise ValidationError(["Not ready for discharge:", *readiness.reasons])
    s.discharge_criteria_met = sorted(set(criteria_met))
    s.escort = escort.strip()
    s.discharge_note = note.strip()
    s.discharged_at = now
    s.save(update_fields=["discharge_criteria_met", "escort", "discharge_note", "discharged_at"])
    _set_phase(by, s, SessionPhase.DONE)
    audit_record(
        event_type=EventType.SESSION_DISCHARGED,
        actor=by,
        obj=s,
        patient_id=s.patient_id,
        extra={"criteria_met": s.discharge_criteria_met, "escort": s.escort},
    )
    if s.protocol_version.protocol.rems_required:
        form = build_pmf(
            s,
            hcp=by.user,
            hcp_phone=hcp_phone,
            hcp_email=hcp_email,
            minutes_until_ready_without_rule=minutes_until_ready_without_rule,
        )
        RemsMonitoringForm.objects.create(
            session=s,
            clinic_id=s.clinic_id,
            layout=rems.PMF_LAYOUT_2021_11.name,
            data=pmf_to_dict(form),
            due_date=rems.pmf_due_date(form.treatment_date or now.date()),
            created_at=now,
        )
    return s


@transaction.atomic
def rems_form_update(
    *, by: Membership, form: RemsMonitoringForm, values: Mapping[str, Any]
) -> RemsMonitoringForm:
    """Fill fields of a PMF before the session is signed (after signing: an amendment)."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, form.session)
    locked = RemsMonitoringForm.objects.select_for_update().get(pk=form.pk, session=s)
    data = dict(locked.data)
    merged = {**data, **{k: v for k, v in values.items()}}
    try:
        pmf = pmf_from_dict(merged)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from None
    new = pmf_to_dict(pmf)
    changes = {k: (data.get(k), new[k]) for k in new if data.get(k) != new[k]}
    locked.data = new
    locked.save(update_fields=["data"])
    audit_record(
        event_type=EventType.SESSION_UPDATED,
        actor=by,
        obj=locked,
        patient_id=s.patient_id,
        changes=changes,
        extra={"session_id": s.pk, "what": "rems_form"},
    )
    return locked


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
            pmf = pmf_from_dict(form.data)
            missing = rems.missing_required_fields(pmf)
            if missing:
                problems.append("REMS form fields missing: " + ", ".join(missing))
            problems += rems.pmf_problems(pmf)
    return problems


def session_sign(
    *,
    by: Membership,
    session: TreatmentSession,
    password: str,
    token: str,
    meaning: SignatureMeaning = SignatureMeaning.RESPONSIBILITY,
) -> TreatmentSession:
    """The prescriber signs: password and TOTP code again (21 CFR 11.200), then a signature bound
    to the hash of the session's canonical content. Signing locks the session."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, session.clinic_id)
    if meaning not in (SignatureMeaning.APPROVAL, SignatureMeaning.RESPONSIBILITY):
        raise ValidationError({"meaning": "Choose approval or responsibility."})
    # Outside the transaction below: a failed attempt's audit event must stay.
    if not reauthenticate(membership=by, password=password, token=token):
        raise ValidationError({"password": f"{REAUTH_REFUSED} The signature was not applied."})
    with transaction.atomic():
        s = _lock_session(by, session)
        problems = signing_problems(s)
        if problems:
            raise ValidationError(["The session cannot be signed yet:", *problems])
        signature = signature_record(
            by=by,
            printed_name=by.user.display_name,
            obj=s,
            content=session_content(s),
            meaning=meaning,
        )
        s.signature = signature
        s.signed_at = signature.signed_at
        s.save(update_fields=["signature", "signed_at"])
        _session_audit(
            by,
            s,
            EventType.SESSION_SIGNED,
            extra={"signature_id": signature.pk, "content_hash": signature.content_hash},
        )
    return s


@transaction.atomic
def session_amend(
    *, by: Membership, session: TreatmentSession, field: str, new_value: str, reason: str
) -> Amendment:
    """A change to a signed session: an Amendment row (field, old, new, reason, author); the
    signed original is kept. The signature then no longer matches the record's content, which
    the session page shows."""
    _need(by, Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN)
    _own(by, session.clinic_id)
    s = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if s.signed_at is None:
        raise ValidationError("The session is not signed yet: amendments are for signed records.")
    if field not in AMENDABLE_FIELDS:
        raise ValidationError({"field": f"Allowed: {', '.join(sorted(AMENDABLE_FIELDS))}"})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the signed record is being changed."})
    old = current_value(s, field)
    if str(old) == new_value:
        raise ValidationError({"new_value": "That is the current value."})
    amendment = Amendment.objects.create(
        session=s,
        field=field,
        old_value=old,
        new_value=new_value,
        reason=reason.strip(),
        author_id=by.user_id,
        created_at=timezone.now(),
    )
    _session_audit(
        by,
        s,
        EventType.SESSION_AMENDED,
        reason=amendment.reason,
        changes={field: (old, new_value)},
        extra={"amendment_id": amendment.pk},
    )
    return amendment


@transaction.atomic
def rems_form_mark_submitted(
    *,
    by: Membership,
    form: RemsMonitoringForm,
    confirmation_number: str,
    submitted_at: dt.datetime | None = None,
) -> RemsMonitoringForm:
    """The PMF was filed (online or fax) [REMS]: keep the confirmation number."""
    _need(by, Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN)
    _own(by, form.clinic_id)
    locked = (
        RemsMonitoringForm.objects.select_for_update().select_related("session").get(pk=form.pk)
    )
    if locked.session.signed_at is None:
        raise ValidationError("Sign the session first: the form is filed from the signed record.")
    if locked.submitted_at is not None:
        raise ValidationError(
            f"Already marked submitted (confirmation {locked.confirmation_number})."
        )
    if not confirmation_number.strip():
        raise ValidationError({"confirmation_number": "Enter the confirmation number."})
    locked.submitted_at = _now_or(submitted_at, "submitted_at")
    locked.submitted_by_id = by.user_id
    locked.confirmation_number = confirmation_number.strip()
    locked.save(update_fields=["submitted_at", "submitted_by", "confirmation_number"])
    audit_record(
        event_type=EventType.REMS_FORM_SUBMITTED,
        actor=by,
        obj=locked,
        patient_id=locked.session.patient_id,
        extra={"session_id": locked.session_id, "confirmation_number": locked.confirmation_number},
    )
    return locked


# --------------------------------------------------------------------------------------------
# REMS deadlines (periodic: ``ketaclinic treatment rems-deadlines``)


@dataclasses.dataclass(frozen=True)
class DeadlineRun:
    checked: int  # unsubmitted forms looked at
    due_soon: int  # new warning alerts
    overdue: int  # new critical alerts


def pmf_treatment_date(form: RemsMonitoringForm) -> dt.date:
    raw = form.data.get("treatment_date")
    if raw:
        return dt.date.fromisoformat(str(raw))
    return form.due_date - dt.timedelta(days=LABEL_RULES_SPRAVATO_2024.pmf_deadline_days)


def rems_deadline_alerts(*, now: dt.datetime | None = None) -> DeadlineRun:
    """Alerts for every esketamine Patient Monitoring Form not yet submitted: a warning when 2 days
    or fewer are left before its 7-day deadline, a critical alert once it is overdue (days counted
    in each clinic's local dates, as on the REMS dashboard). Idempotent per form and stage:
    running it again raises nothing new (alerts.services.alert_raise keys on the source)."""
    now = now or timezone.now()
    forms = list(
        RemsMonitoringForm.objects.filter(submitted_at__isnull=True)
        .select_related("clinic", "session", "session__patient")
        .order_by("due_date", "pk")
    )
    stages: list[tuple[RemsMonitoringForm, rems.PmfDeadline]] = []
    for form in forms:
        today = now.astimezone(form.clinic.tzinfo).date()
        deadline = rems.pmf_deadline(pmf_treatment_date(form), today=today, submitted=False)
        if deadline.status in (rems.DeadlineStatus.DUE_SOON, rems.DeadlineStatus.OVERDUE):
            stages.append((form, deadline))
    existing = set(
        Alert.objects.filter(
            kind=AlertKind.REMS_DEADLINE,
            source_type=AlertSource.REMS_FORM,
            source_id__in=[f"{f.pk}:{d.status.value}" for f, d in stages],
        ).values_list("source_id", flat=True)
    )
    due_soon = overdue = 0
    for form, deadline in stages:
        source_id = f"{form.pk}:{deadline.status.value}"
        if source_id in existing:
            continue
        late = deadline.status is rems.DeadlineStatus.OVERDUE
        if late:
            title = f"REMS form overdue: session {form.session.number}, due {form.due_date}"
            detail = (
                f"The Patient Monitoring Form was due on {form.due_date.isoformat()} (within 7 "
                "days of the session) and is not marked submitted. File it and record the "
                "confirmation number."
            )
        else:
            title = f"REMS form due {form.due_date}: session {form.session.number}"
            detail = (
                f"{deadline.days_left} day(s) left to file the Patient Monitoring Form (due "
                f"{form.due_date.isoformat()})."
            )
        with transaction.atomic():
            alert_raise(
                by=None,
                clinic_id=form.clinic_id,
                kind=AlertKind.REMS_DEADLINE,
                severity=Severity.CRITICAL if late else Severity.WARNING,
                title=title,
                patient=form.session.patient,
                detail=detail,
                source_type=AlertSource.REMS_FORM,
                source_id=source_id,
            )
        if late:
            overdue += 1
        else:
            due_soon += 1
    return DeadlineRun(checked=len(forms), due_soon=due_soon, overdue=overdue)


__all__ = [
    "DoseBasis",  # re-exported for forms
    "DosePreview",
    "WitnessSignOff",
    "adverse_event_record",
    "checklist_record",
    "closure_add",
    "closure_cancel",
    "course_enrol",
    "dose_preview",
    "dose_record",
    "observation_record",
    "prescriber_decision_record",
    "protocol_copy_from_library",
    "protocol_create",
    "protocol_new_version",
    "rems_deadline_alerts",
    "rems_form_mark_submitted",
    "rems_form_update",
    "session_amend",
    "session_cancel",
    "session_check_in",
    "session_discharge",
    "session_miss",
    "session_move",
    "session_sign",
]
