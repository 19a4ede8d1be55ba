"""Clinic closures: audited add and cancel (never deleted), calendars that skip them (across a
daylight-saving change), and sessions already booked on a closed day listed to be moved by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.treatment import selectors, services
from ketaclinic.treatment.models import ClinicClosure, SessionPhase

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def _today(membership) -> dt.date:
    return timezone.now().astimezone(membership.clinic.tzinfo).date()


def test_a_closure_is_added_and_cancelled_with_audit_and_its_row_kept(clinic_admin) -> None:
    day = _today(clinic_admin) + dt.timedelta(days=10)
    closure = services.closure_add(by=clinic_admin, date=day, reason="  Public holiday ")
    assert closure.reason == "Public holiday"
    assert closure.created_by_id == clinic_admin.user_id
    with pytest.raises(ValidationError, match="already closed"):
        services.closure_add(by=clinic_admin, date=day, reason="Again")
    with pytest.raises(ValidationError) as exc:
        services.closure_cancel(by=clinic_admin, closure=closure, reason=" ")
    assert "reason" in exc.value.message_dict
    cancelled = services.closure_cancel(
        by=clinic_admin, closure=closure, reason="Opening after all"
    )
    assert cancelled.cancelled and cancelled.cancelled_reason == "Opening after all"
    assert cancelled.cancelled_by_id == clinic_admin.user_id
    with pytest.raises(ValidationError, match="already cancelled"):
        services.closure_cancel(by=clinic_admin, closure=closure, reason="Twice")
    # Closing the day again adds a new row; the cancelled one stays as history.
    again = services.closure_add(by=clinic_admin, date=day, reason="Holiday after all")
    assert again.pk != closure.pk
    assert ClinicClosure.objects.filter(clinic_id=clinic_admin.clinic_id, date=day).count() == 2
    assert selectors.clinic_closure_dates(clinic_admin.clinic_id) == frozenset({day})
    events = list(
        AuditEvent.objects.filter(event_type__startswith="treatment.closure_").order_by("id")
    )
    assert [e.event_type for e in events] == [
        "treatment.closure_added",
        "treatment.closure_cancelled",
        "treatment.closure_added",
    ]
    assert events[1].reason == "Opening after all"
    assert events[0].extra["date"] == day.isoformat()


def test_a_closure_needs_a_reason_and_a_day_ahead(clinic_admin) -> None:
    with pytest.raises(ValidationError) as exc:
        services.closure_add(by=clinic_admin, date=_today(clinic_admin), reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError, match="has passed"):
        services.closure_add(
            by=clinic_admin, date=_today(clinic_admin) - dt.timedelta(days=1), reason="Late"
        )
    assert services.closure_add(by=clinic_admin, date=_today(clinic_admin), reason="Power cut")


def test_front_desk_and_clinical_staff_manage_closures_researchers_do_not(
    front_desk, nurse, researcher, inventory_manager
) -> None:
    day = _today(front_desk) + dt.timedelta(days=3)
    closure = services.closure_add(by=front_desk, date=day, reason="Snow day")
    services.closure_cancel(by=nurse, closure=closure, reason="Roads clear")
    for who in (researcher, inventory_manager):
        with pytest.raises(PermissionDenied):
            services.closure_add(by=who, date=day, reason="x")
        with pytest.raises(PermissionDenied):
            selectors.closures_for_clinic(membership=who)


def test_another_clinics_closure_cannot_be_cancelled(clinic_admin, outsider) -> None:
    closure = services.closure_add(
        by=clinic_admin, date=_today(clinic_admin) + dt.timedelta(days=5), reason="Holiday"
    )
    with pytest.raises(PermissionDenied):
        services.closure_cancel(by=outsider, closure=closure, reason="Not mine")
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.get_closure_for_user(membership=outsider, pk=closure.pk)


def test_an_autumn_dst_calendar_keeps_local_time_and_skips_the_clinics_closure(
    prescriber, clinic_admin, esk_version, enrol
) -> None:
    # New York: daylight time ends Sunday 2026-11-01. Start Monday 2026-10-26, closed Thursday
    # 2026-11-05 (the clinic's closure, added beforehand), and Monday 2026-11-09 closed then
    # re-opened (a cancelled closure is not skipped).
    with time_machine.travel(dt.datetime(2026, 10, 20, 15, tzinfo=dt.UTC), tick=False):
        services.closure_add(by=clinic_admin, date=dt.date(2026, 11, 5), reason="Staff training")
        reopened = services.closure_add(by=clinic_admin, date=dt.date(2026, 11, 9), reason="x")
        services.closure_cancel(by=clinic_admin, closure=reopened, reason="Training moved")
        course = enrol(esk_version, start_date=dt.date(2026, 10, 26))
    sessions = list(course.sessions.order_by("number"))
    local = [s.scheduled_at.astimezone(NY) for s in sessions]
    assert all(t.time() == dt.time(9, 0) for t in local)
    assert sessions[0].scheduled_at.hour == 13  # 09:00 EDT = 13:00 UTC
    after = [s for s, t in zip(sessions, local, strict=True) if t.date() > dt.date(2026, 11, 1)]
    assert after and all(s.scheduled_at.hour == 14 for s in after)  # 09:00 EST = 14:00 UTC
    days = [t.date() for t in local]
    assert dt.date(2026, 11, 5) not in days
    assert dt.date(2026, 11, 9) in days  # induction week 3 starts on the re-opened Monday
    assert sum(1 for s in sessions if s.phase_code == "induction") == 8
    enrolled = AuditEvent.objects.get(event_type="treatment.course_enrolled")
    assert enrolled.extra["closures"] == ["2026-11-05"]


def test_the_enrolment_preview_uses_the_clinics_closures(
    prescriber, clinic_admin, esk_version, weighed_patient, login
) -> None:
    start = _today(prescriber) + dt.timedelta(days=14)
    start -= dt.timedelta(days=start.weekday())  # a Monday two weeks ahead
    services.closure_add(by=clinic_admin, date=start, reason="Holiday Monday")
    client = login(prescriber)
    response = client.post(
        reverse("treatment:enrol", kwargs={"pk": weighed_patient.pk}),
        {
            "version": esk_version.pk,
            "start_date": start.isoformat(),
            "session_time": "09:00",
            "decision_note": "TRD",
            "action": "preview",
        },
    )
    html = response.content.decode()
    assert "closures" not in response.context["form"].fields
    # The calendar's rows show "Mon 2026-12-07": the closed Monday has none, Tuesday has one.
    assert f"<td>{start:%a %Y-%m-%d}</td>" not in html
    assert f"<td>{start + dt.timedelta(days=1):%a %Y-%m-%d}</td>" in html


def test_sessions_booked_on_a_new_closure_are_listed_to_move_not_moved(
    prescriber, clinic_admin, front_desk, esk_version, enrol, login
) -> None:
    start = _today(prescriber) + dt.timedelta(days=7)
    start -= dt.timedelta(days=start.weekday())  # next week's Monday (or this one's)
    if start <= _today(prescriber):
        start += dt.timedelta(days=7)
    course = enrol(esk_version, start_date=start)
    first = course.sessions.order_by("number").first()
    assert first is not None
    booked_day = first.scheduled_at.astimezone(NY).date()
    client = login(front_desk)
    response = client.post(
        reverse("treatment:closures"), {"date": booked_day.isoformat(), "reason": "Flooding"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.phase == SessionPhase.SCHEDULED  # not moved silently
    assert first.scheduled_at.astimezone(NY).date() == booked_day
    added = AuditEvent.objects.get(event_type="treatment.closure_added")
    assert added.extra["sessions_to_move"] == [first.pk]
    html = client.get(reverse("treatment:closures")).content.decode()
    assert "1 scheduled session falls on a closed day" in html
    assert f'data-session="{first.pk}"' in html
    assert reverse("treatment:session_move", kwargs={"session_id": first.pk}) in html
    assert 'value="Clinic closed: Flooding"' in html
    # The course page marks it too.
    course_html = login(prescriber).get(reverse("treatment:course", args=[course.pk]))
    assert "clinic closed: move it" in course_html.content.decode()
    # Moving onto the closed day is refused; moving to the next day clears the list.
    client = login(front_desk)
    with pytest.raises(ValidationError, match="closed on"):
        services.session_move(by=front_desk, session=first, new_date=booked_day, reason="x")
    response = client.post(
        reverse("treatment:session_move", kwargs={"session_id": first.pk}),
        {
            "new_date": (booked_day + dt.timedelta(days=1)).isoformat(),
            "reason": "Clinic closed: Flooding",
            "return_to": "closures",
        },
    )
    assert response["Location"] == reverse("treatment:closures")
    html = client.get(reverse("treatment:closures")).content.decode()
    assert f'data-session="{first.pk}"' not in html
    assert "fall on a closed day" not in html and "falls on a closed day" not in html


def test_the_closures_page_cancels_and_is_refused_to_roles_without_scheduling(
    clinic_admin, researcher, login
) -> None:
    day = _today(clinic_admin) + dt.timedelta(days=20)
    closure = services.closure_add(by=clinic_admin, date=day, reason="Inventory day")
    client = login(clinic_admin)
    page = client.get(reverse("treatment:closures"))
    assert page.status_code == 200
    assert "Inventory day" in page.content.decode()
    response = client.post(
        reverse("treatment:closure_cancel", kwargs={"closure_id": closure.pk}),
        {"reason": "Done remotely"},
    )
    assert response.status_code == 302
    closure.refresh_from_db()
    assert closure.cancelled and closure.cancelled_reason == "Done remotely"
    assert "Cancelled: Done remotely" in client.get(reverse("treatment:closures")).content.decode()
    assert login(researcher).get(reverse("treatment:closures")).status_code == 403
