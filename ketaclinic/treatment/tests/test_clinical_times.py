"""Issue 14, finding 1: clinical times that cannot be true are refused; the calendar moves only
forward; missed and cancelled can be undone with a reason; the board is in time order."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent
from ketaclinic.treatment import selectors, services
from ketaclinic.treatment.models import (
    Course,
    DoseAdministration,
    Observation,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


def test_a_moaa_s_dated_2020_is_refused_on_todays_session(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    before = Observation.objects.filter(session=session).count()
    with pytest.raises(ValidationError) as exc:
        services.observation_record(
            by=nurse,
            session=session,
            code="moaa_s",
            value=5,
            measured_at=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC),
        )
    message = exc.value.message_dict["measured_at"][0]
    assert "Measured at" in message and "check-in" in message and "EST" in message
    assert Observation.objects.filter(session=session).count() == before


def test_a_reading_after_the_dose_cannot_be_dated_before_it(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    esk_dose(nurse, session, minutes_ago=8)
    session.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.observation_record(
            by=nurse,
            session=session,
            code="heart_rate",
            value=70,
            measured_at=timezone.now() - dt.timedelta(minutes=12),
        )
    assert "before the dose" in exc.value.message_dict["measured_at"][0]
    obs, _ = services.observation_record(
        by=nurse, session=session, code="heart_rate", value=70, measured_at=timezone.now()
    )
    assert obs.minutes_since_dose is not None and obs.minutes_since_dose >= 0


def test_a_device_before_the_prescribers_decision_is_refused(
    nurse, prescriber, esk_version, checked
) -> None:
    session = checked(esk_version, systolic=152, diastolic=94)
    (pending,) = selectors.pending_decisions(session)
    services.prescriber_decision_record(
        by=prescriber,
        session=session,
        kind=pending.kind,
        outcome="proceed",
        reason="Usual baseline for this patient.",
        subject=pending.subject,
    )
    with pytest.raises(ValidationError) as exc:
        esk_dose(nurse, session, minutes_ago=11)
    assert "before the prescriber's decision" in exc.value.message_dict["device_times"][0]
    assert not DoseAdministration.objects.filter(session=session).exists()


def test_an_adverse_event_onset_before_check_in_is_refused(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    with pytest.raises(ValidationError) as exc:
        services.adverse_event_record(
            by=nurse,
            session=session,
            event_type="headache",
            severity="mild",
            serious=False,
            action_taken="none",
            outcome="resolved",
            onset_at=timezone.now() - dt.timedelta(days=3),
        )
    assert "Onset" in exc.value.message_dict["onset_at"][0]


def test_a_session_cannot_be_moved_to_2020(nurse, esk_version, enrol) -> None:
    course = enrol(esk_version)
    session = course.sessions.order_by("number").last()
    with pytest.raises(ValidationError) as exc:
        services.session_move(
            by=nurse, session=session, new_date=dt.date(2020, 1, 1), reason="Typo"
        )
    assert "New date" in " ".join(exc.value.messages)
    session.refresh_from_db()
    assert session.scheduled_at.year >= 2026


def test_a_course_cannot_start_in_2020(prescriber, esk_version, enrol) -> None:
    with pytest.raises(ValidationError) as exc:
        enrol(esk_version, start_date=dt.date(2020, 1, 6))
    assert "Start date" in exc.value.message_dict["start_date"][0]
    assert not Course.objects.exists()


def test_a_second_active_course_of_a_protocol_needs_a_prescribers_confirmation(
    prescriber, esk_version, enrol
) -> None:
    enrol(esk_version)
    with pytest.raises(ValidationError) as exc:
        enrol(esk_version)
    assert "already has an active course" in exc.value.message_dict["confirm_another_course"][0]
    with pytest.raises(ValidationError) as exc:
        enrol(esk_version, confirm_another_course=True)
    assert "another_course_reason" in exc.value.message_dict
    second = enrol(
        esk_version,
        confirm_another_course=True,
        another_course_reason="Restarting after a hospital stay; old course to be closed.",
    )
    assert Course.objects.filter(patient=second.patient).count() == 2
    assert any("Restarting after a hospital stay" in n for n in second.calendar_notes)


def test_a_session_17_days_ahead_cannot_be_marked_missed(nurse, esk_version, enrol) -> None:
    course = enrol(esk_version)
    ahead = course.sessions.filter(scheduled_at__gt=timezone.now() + dt.timedelta(days=14))
    session = ahead.order_by("scheduled_at").first()
    assert session is not None
    with pytest.raises(ValidationError) as exc:
        services.session_miss(by=nurse, session=session, reason="Will be away")
    assert "only after that time" in " ".join(exc.value.messages)
    session.refresh_from_db()
    assert session.phase == SessionPhase.SCHEDULED


def test_missed_and_cancelled_are_undone_with_a_reason_kept(
    nurse, esk_version, today_session
) -> None:
    session = today_session(esk_version)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        services.session_miss(by=nurse, session=session, reason="No show")
    with pytest.raises(ValidationError):
        services.session_reinstate(by=nurse, session=session, reason="  ")
    back = services.session_reinstate(by=nurse, session=session, reason="Patient was in the lobby")
    assert back.phase == SessionPhase.SCHEDULED
    assert "No show" in back.status_reason and "Patient was in the lobby" in back.status_reason
    event = AuditEvent.objects.filter(event_type="treatment.session_updated").last()
    assert event is not None and event.reason == "Patient was in the lobby"
    services.session_cancel(by=nurse, session=back, reason="Clinic emergency")
    again = services.session_reinstate(by=nurse, session=back, reason="Emergency over")
    assert again.phase == SessionPhase.SCHEDULED
    with pytest.raises(ValidationError):
        services.session_reinstate(by=nurse, session=again, reason="Nothing to undo")


def test_the_course_page_shows_past_scheduled_sessions_as_not_recorded_and_offers_undo(
    nurse, esk_version, today_session, login
) -> None:
    session = today_session(esk_version)
    TreatmentSession.objects.filter(pk=session.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(days=3)
    )
    client = login(nurse)
    url = reverse("treatment:course", kwargs={"course_id": session.course_id})
    html = client.get(url).content.decode()
    first_row = html.split('class="session-status">', 1)[1].split("</td>", 1)[0]
    assert first_row.startswith("Not recorded")
    response = client.post(
        reverse("treatment:session_miss", kwargs={"session_id": session.pk}),
        {"reason": "Did not attend"},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "Undo missed" in html
    client.post(
        reverse("treatment:session_reinstate", kwargs={"session_id": session.pk}),
        {"reason": "Attended; entered late"},
    )
    session.refresh_from_db()
    assert session.phase == SessionPhase.SCHEDULED


def test_the_board_lists_rows_in_time_order_whatever_the_chair(
    nurse, prescriber, esk_version, make_patient
) -> None:
    now = timezone.now()
    tz = nurse.clinic.tzinfo
    midnight = dt.datetime.combine(now.astimezone(tz).date(), dt.time(0), tzinfo=tz)
    made = []
    for chair, minutes in (("", 9 * 60), ("Chair 1", 8 * 60), ("Chair 2", 8 * 60 + 30)):
        patient = make_patient(prescriber)
        testing.weigh(prescriber, patient, "70")
        s = testing.session_now(
            prescriber=prescriber, patient=patient, version=esk_version, chair=chair
        )
        TreatmentSession.objects.filter(pk=s.pk).update(
            scheduled_at=midnight + dt.timedelta(minutes=minutes), chair=chair
        )
        made.append(s.pk)
    rows = [r.session.pk for r in selectors.board(membership=nurse, now=now)]
    assert rows == [made[1], made[2], made[0]]


def test_a_refused_move_says_why_on_the_course_page(nurse, esk_version, enrol, login) -> None:
    course = enrol(esk_version)
    session = course.sessions.order_by("number").last()
    client = login(nurse)
    response = client.post(
        reverse("treatment:session_move", kwargs={"session_id": session.pk}),
        {"new_date": "2020-01-01", "reason": "Typo"},
        follow=True,
    )
    assert "has passed" in response.content.decode()
