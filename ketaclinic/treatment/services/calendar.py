"""Courses and the calendar: closures, enrolment, moving, missing and cancelling a session,
check-in. The clinic's calendar and the plan a course would get are read by
``treatment.selectors.calendar``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient
from ketaclinic.screening.selectors import enrolment_clearance
from ketaclinic.treatment.domain import schedule, timing
from ketaclinic.treatment.domain.protocol import Frequency
from ketaclinic.treatment.models import (
    ClinicClosure,
    Course,
    CourseStatus,
    ProtocolVersion,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.calendar import (
    clinic_calendar,
    clinic_closure_dates,
    course_spacing_problem,
    missed_session_guidance,
    plan_calendar,
)
from ketaclinic.treatment.services._common import (
    _lock_session,
    _need,
    _own,
    _session_audit,
    _set_phase,
    clock_skew,
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


def _require_screening(patient: Patient, version: ProtocolVersion) -> None:
    """Issue 11: a course needs a screening that clears the patient for this protocol."""
    clearance = enrolment_clearance(patient=patient, protocol_code=version.family.code)
    if not clearance.cleared:
        raise ValidationError(clearance.problem)


def _one_active_course(
    by: Membership, patient: Patient, version: ProtocolVersion, confirmed: bool, reason: str
) -> None:
    """One active course per patient and protocol, unless the prescriber confirms a second one
    with a reason (issue 14)."""
    active = (
        Course.objects.filter(
            patient=patient,
            status=CourseStatus.ACTIVE,
            protocol_version__family_id=version.family_id,
        )
        .order_by("start_date")
        .first()
    )
    if active is None:
        return
    if not confirmed:
        raise ValidationError(
            {
                "confirm_another_course": f"This patient already has an active course of "
                f"{version.title} (from {active.start_date.isoformat()}). Tick the box and give "
                "a reason to enrol a second one."
            }
        )
    if not reason.strip():
        raise ValidationError(
            {"another_course_reason": "Say why this patient needs a second active course."}
        )


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
    concomitant_antidepressant: str = "",
    confirm_another_course: bool = False,
    another_course_reason: str = "",
    history: bool = False,
) -> Course:
    """A prescriber enrols the patient; the course's sessions come from the protocol's schedule,
    the clinic's opening days, closures (ClinicClosure) and time zone
    (schedule.generate_calendar). It needs an eligible (or overridden) screening for this
    protocol, younger than the clinic's limit (``_require_screening``), and the prescriber's
    decision note."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, patient.clinic_id)
    _own(by, version.family.clinic_id)
    if patient.is_archived:
        raise ValidationError("This patient is archived.")
    _require_screening(patient, version)
    if not decision_note.strip():
        raise ValidationError({"decision_note": "Record the prescriber's decision to treat."})
    # ``history``: the demo's (and a later import's) courses that began before today; never
    # set from a form.
    problem = (
        None if history else timing.course_start_problem(start=start_date, today=_clinic_today(by))
    )
    if problem:
        raise ValidationError({"start_date": problem})
    _one_active_course(by, patient, version, confirm_another_course, another_course_reason)
    protocol = version.protocol
    antidepressant = concomitant_antidepressant.strip()
    if protocol.requires_oral_antidepressant and not antidepressant:
        raise ValidationError(
            {
                "concomitant_antidepressant": f"{protocol.title} is given with an oral "
                "antidepressant: record which one (drug and daily dose) [HCP]."
            }
        )
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
        concomitant_antidepressant=antidepressant,
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
            "concomitant_antidepressant": antidepressant,
            "another_active_course": confirm_another_course,
        },
    )
    if confirm_another_course:
        course.calendar_notes = [
            *course.calendar_notes,
            f"Second active course of this protocol, confirmed: {another_course_reason.strip()}",
        ]
        course.save(update_fields=["calendar_notes"])
    return course


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
    problem = course_spacing_problem(s, new_date)
    if problem:
        raise ValidationError({"new_date": f"{problem}."})
    at = new_time or s.scheduled_at.astimezone(tz).time().replace(tzinfo=None)
    starts_at, _, _ = schedule.local_instant(new_date, at, tz)
    last = (
        TreatmentSession.objects.filter(course_id=s.course_id)
        .exclude(pk=s.pk)
        .order_by("-scheduled_at")
        .values_list("scheduled_at", flat=True)
        .first()
    )
    course_last = max(
        (last or s.scheduled_at).astimezone(tz).date(), s.scheduled_at.astimezone(tz).date()
    )
    problem = timing.move_problem(
        new_start=starts_at,
        now=timezone.now(),
        course_start=s.course.start_date,
        course_last=course_last,
        tz=tz,
    )
    if problem:
        raise ValidationError({"new_date": problem})
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
    """Mark the session missed, only once its time has passed; returns the label's
    missed-session guidance to show."""
    problem = timing.miss_problem(
        scheduled_at=session.scheduled_at, now=timezone.now(), tz=by.clinic.tzinfo
    )
    if problem:
        raise ValidationError(problem)
    s = _end_session(by, session, SessionPhase.MISSED, reason)
    return missed_session_guidance(s)


@transaction.atomic
def session_cancel(*, by: Membership, session: TreatmentSession, reason: str) -> TreatmentSession:
    return _end_session(by, session, SessionPhase.CANCELLED, reason)


@transaction.atomic
def session_reinstate(
    *, by: Membership, session: TreatmentSession, reason: str
) -> TreatmentSession:
    """Undo "missed" or "cancelled": the session is scheduled again. The earlier status and its
    reason stay in the audit trail (SESSION_UPDATED with the phase change and both reasons)."""
    _need(by, Perm.SCHEDULE_MANAGE)
    s = _lock_session(by, session)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the session is reinstated."})
    if s.phase not in (SessionPhase.MISSED, SessionPhase.CANCELLED):
        raise ValidationError(
            f"Only a missed or cancelled session can be reinstated; this one is "
            f"{s.get_phase_display().lower()}."
        )
    old_phase, old_reason = s.phase, s.status_reason
    s.phase = SessionPhase.SCHEDULED
    s.status_reason = (
        f"Reinstated: {reason} (was {SessionPhase(old_phase).label.lower()}: {old_reason})"
    )
    s.save(update_fields=["phase", "status_reason"])
    _session_audit(
        by,
        s,
        EventType.SESSION_UPDATED,
        reason=reason,
        changes={"phase": (old_phase, SessionPhase.SCHEDULED)},
    )
    return s


@transaction.atomic
def session_check_in(
    *,
    by: Membership,
    session: TreatmentSession,
    chair: str | None = None,
    at: dt.datetime | None = None,
) -> TreatmentSession:
    """Check the patient in, now or at ``at`` earlier today (entered after the fact)."""
    _need(by, Perm.SCHEDULE_MANAGE, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    if s.phase != SessionPhase.SCHEDULED:
        raise ValidationError(f"Only a scheduled session can be checked in; this one is {s.phase}.")
    now = timezone.now()
    if at is not None:
        problem = timing.check_in_problem(at=at, now=now, tz=by.clinic.tzinfo, skew=clock_skew())
        if problem:
            raise ValidationError({"at": problem})
    extra: dict[str, Any] = {"checked_in_at": at or now}
    if chair:
        extra["chair"] = chair
    _set_phase(by, s, SessionPhase.CHECKED_IN, **extra)
    return s


__all__ = [
    "closure_add",
    "closure_cancel",
    "course_enrol",
    "session_cancel",
    "session_check_in",
    "session_miss",
    "session_move",
    "session_reinstate",
]
