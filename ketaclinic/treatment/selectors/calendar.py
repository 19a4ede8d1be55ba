"""Reads for the calendar: the clinic's opening days and closures, the calendar a course would
get, and the label's guidance when a session is missed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError

from ketaclinic.accounts.models import Membership
from ketaclinic.treatment.domain import schedule
from ketaclinic.treatment.domain.protocol import Drug, Frequency
from ketaclinic.treatment.domain.protocol import Protocol as PureProtocol
from ketaclinic.treatment.models import ClinicClosure, ProtocolVersion, TreatmentSession


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


def course_spacing_problem(session: TreatmentSession, day: dt.date) -> str | None:
    """Why ``session`` may not take place on the clinic-local ``day``: too close to another
    session of its course that is still to come or was dosed (schedule.spacing_problem, the
    phases' ``min_days_between_sessions``; esketamine: never on consecutive days)."""
    tz = session.clinic.tzinfo
    phases = session.protocol_version.protocol.schedule
    others = (
        TreatmentSession.objects.filter(course_id=session.course_id)
        .exclude(pk=session.pk)
        .exclude(phase__in=["cancelled", "missed"])
        .select_related("protocol_version")
    )
    dated = [
        (
            (o.dose_started_at or o.scheduled_at).astimezone(tz).date(),
            schedule.min_days_for(o.protocol_version.protocol.schedule, o.phase_code),
        )
        for o in others
    ]
    return schedule.spacing_problem(day, schedule.min_days_for(phases, session.phase_code), dated)


def dose_spacing_problem(session: TreatmentSession, day: dt.date) -> str | None:
    """Why ``session`` may not be dosed on the clinic-local ``day``: too close to a dose the
    patient was already given (in any course), by the larger of the two phases' minimum days."""
    tz = session.clinic.tzinfo
    dosed = (
        TreatmentSession.objects.filter(
            patient_id=session.patient_id, dose_started_at__isnull=False
        )
        .exclude(pk=session.pk)
        .select_related("protocol_version")
    )
    dated = [
        (
            o.dose_started_at.astimezone(tz).date(),
            schedule.min_days_for(o.protocol_version.protocol.schedule, o.phase_code),
        )
        for o in dosed
        if o.dose_started_at is not None
    ]
    own = schedule.min_days_for(session.protocol_version.protocol.schedule, session.phase_code)
    problem = schedule.spacing_problem(day, own, dated)
    return f"Not dosed today: {problem}." if problem else None


__all__ = [
    "clinic_calendar",
    "clinic_closure_dates",
    "course_spacing_problem",
    "dose_spacing_problem",
    "missed_guidance_for",
    "missed_session_guidance",
    "plan_calendar",
]
