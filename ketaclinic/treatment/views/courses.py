"""Courses: enrolment (with the calendar preview), the course page, and moving, missing or
cancelling one of its sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.ops.idempotency import once_per_form
from ketaclinic.patients.selectors import get_patient_for_user
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.models import SessionPhase, TreatmentSession
from ketaclinic.treatment.views._common import (
    errors_as_messages,
    require,
    run_service_with_messages,
)


@once_per_form
def course_enrol(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    patient = get_patient_for_user(membership=m, pk=pk, perm=Perm.PATIENT_VIEW)
    require(m, Perm.TREATMENT_PLAN)
    versions = selectors.active_versions(membership=m)
    tz = m.clinic.tzinfo
    form = forms.EnrolForm(
        request.POST or None,
        versions=versions,
        initial={
            "start_date": timezone.now().astimezone(tz).date(),
            "session_time": dt.time(9, 0),
        },
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("action") == "enrol":
            course = run_service_with_messages(
                request,
                form,
                lambda: services.course_enrol(
                    by=m,
                    patient=patient,
                    version=d["version"],
                    decision_note=d["decision_note"],
                    start_date=d["start_date"],
                    session_time=d["session_time"],
                    chair=d["chair"],
                    concomitant_antidepressant=d["concomitant_antidepressant"],
                    confirm_another_course=d["confirm_another_course"],
                    another_course_reason=d["another_course_reason"],
                ),
            )
            if course is not None:
                messages.success(request, "Enrolled; the session calendar is below.")
                return redirect("treatment:course", course_id=course.pk)
        else:
            preview = run_service(
                form,
                lambda: selectors.plan_calendar(
                    by=m,
                    version=d["version"],
                    start_date=d["start_date"],
                    session_time=d["session_time"],
                ),
            )
    context = {"form": form, "patient": patient, "preview": preview, "versions": versions}
    return render(request, "treatment/enrol.html", context)


def course_detail(request: ClinicRequest, course_id: int) -> HttpResponse:
    m = membership_of(request)
    course = selectors.get_course_for_user(membership=m, pk=course_id)
    tz = m.clinic.tzinfo
    closed = selectors.closed_dates(clinic_id=m.clinic_id)
    sessions = selectors.sessions_for_course(course)
    now = timezone.now()
    protocol = course.protocol_version.protocol
    context = {
        "course": course,
        "rows": [
            {
                "session": s,
                "on_closed_day": s.phase == SessionPhase.SCHEDULED
                and s.scheduled_at.astimezone(tz).date() in closed,
                "status_label": selectors.phase_label(s, now),
                "can_miss": s.phase == SessionPhase.SCHEDULED and s.scheduled_at <= now,
            }
            for s in sessions
        ],
        "can_schedule": m.can(Perm.SCHEDULE_MANAGE),
        "protocol": protocol,
        "missed_guidance": selectors.missed_guidance_for(protocol),
        "has_missed": any(s.phase == SessionPhase.MISSED for s in sessions),
    }
    return render(request, "treatment/course.html", context)


def _schedule_action(
    request: ClinicRequest,
    m: Membership,
    session: TreatmentSession,
    action: str,
    form: forms.ReasonForm,
) -> None:
    """Run one calendar change and say what happened (or what was wrong, every error with its
    field's label) as messages."""
    d = form.cleaned_data
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "move": (
            lambda: services.session_move(
                by=m,
                session=session,
                new_date=d["new_date"],
                new_time=d.get("new_time"),
                reason=d["reason"],
            ),
            f"Session {session.number} moved.",
        ),
        "miss": (
            lambda: services.session_miss(by=m, session=session, reason=d["reason"]),
            "",
        ),
        "reinstate": (
            lambda: services.session_reinstate(by=m, session=session, reason=d["reason"]),
            f"Session {session.number} is scheduled again.",
        ),
        "cancel": (
            lambda: services.session_cancel(by=m, session=session, reason=d["reason"]),
            f"Session {session.number} cancelled.",
        ),
    }
    call, done_message = calls[action]
    result = run_service_with_messages(request, form, call)
    if result is None:
        errors_as_messages(request, form, form_level=False)
        return
    if action == "miss":
        messages.warning(request, str(result))  # the label's missed-session guidance
    else:
        messages.success(request, done_message)


def _schedule_change(request: ClinicRequest, session_id: int, action: str) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=Perm.SCHEDULE_MANAGE)
    form: forms.ReasonForm = (
        forms.MoveForm(request.POST) if action == "move" else forms.ReasonForm(request.POST)
    )
    if form.is_valid():
        _schedule_action(request, m, session, action, form)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    if request.POST.get("return_to") == "closures":
        return redirect("treatment:closures")
    return redirect("treatment:course", course_id=session.course_id)


@require_POST
def session_move(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "move")


@require_POST
def session_miss(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "miss")


@require_POST
def session_cancel(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "cancel")


@require_POST
def session_reinstate(request: ClinicRequest, session_id: int) -> HttpResponse:
    """Undo "missed" or "cancelled", with a reason kept in the record."""
    return _schedule_change(request, session_id, "reinstate")
