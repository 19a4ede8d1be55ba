"""Query-count guards: the chair board and the session page cost the same number of queries
however many sessions, readings, decisions and adverse events they show (no N+1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.treatment import services
from ketaclinic.treatment.models import PrescriberDecision
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _session_now(prescriber: Any, nurse: Any, patient: Any, version: Any, chair: str) -> Any:
    return testing.session_now(
        prescriber=prescriber,
        patient=patient,
        version=version,
        chair=chair,
        decision_note="Query-count test",
    )


def _check_in(nurse: Any, session: Any, systolic: int = 120) -> None:
    testing.answer_pre_session_scales(nurse, session)
    # Checked in before the vitals taken an hour ago.
    services.session_check_in(
        by=nurse, session=session, at=timezone.now() - dt.timedelta(minutes=70)
    )
    services.checklist_record(
        by=nurse,
        session=session,
        fasting_confirmed=True,
        ride_home_confirmed=True,
        pregnancy_status="not_applicable",
        scales_reviewed=True,
        systolic_mmhg=systolic,
        diastolic_mmhg=80,
        heart_rate=72,
        spo2=98,
        moaa_s=5,
        respiratory_rate=16,
        nasal_medication_timing_ok=True,
        measured_at=timezone.now() - dt.timedelta(minutes=60),
    )


def _readings(nurse: Any, session: Any, n: int) -> None:
    for i in range(n):
        services.observation_record(
            by=nurse, session=session, code="heart_rate", value=70 + (i % 5)
        )


def test_the_chair_board_takes_the_same_queries_however_many_sessions_it_shows(
    prescriber, nurse, esk_version, make_patient, login
) -> None:
    def board_with(sessions: int) -> None:
        for i in range(sessions):
            s = _session_now(prescriber, nurse, make_patient(prescriber), esk_version, f"C{i}")
            kind = i % 4
            if kind == 0:
                continue  # scheduled
            # A high pre-dose BP waits for a prescriber (the board asks every pre-dose row).
            _check_in(nurse, s, systolic=150 if kind == 1 else 120)
            if kind >= 2:
                s.refresh_from_db()
                esk_dose(nurse, s, minutes_ago=30 if kind == 2 else 50)
                s.refresh_from_db()
                _readings(nurse, s, 3 * kind)

    client = login(nurse)
    client.get(reverse("home"))  # the first request of a session renews it (one extra write)
    board_with(4)
    url = reverse("treatment:board_rows")
    small = _queries(client, url)
    small_page = _queries(client, reverse("treatment:board"))
    board_with(12)
    html = client.get(url).content.decode()
    assert html.count("board-row") == 16
    assert "waiting for prescriber" in html
    assert _queries(client, url) == small
    assert _queries(client, reverse("treatment:board")) == small_page


def test_the_session_page_takes_the_same_queries_however_many_readings_it_shows(
    prescriber, nurse, esk_version, make_patient, login
) -> None:
    sessions = []
    for n in (1, 25):
        s = _session_now(prescriber, nurse, make_patient(prescriber), esk_version, "C1")
        _check_in(nurse, s, systolic=150)
        services.prescriber_decision_record(
            by=prescriber,
            session=s,
            kind="proceed_despite_bp",
            outcome="proceed",
            reason="Baseline for this patient",
            subject=f"observation:{s.observations.get(code='blood_pressure').pk}",
        )
        for i in range(n):
            services.prescriber_decision_record(
                by=prescriber, session=s, kind="other", outcome="proceed", reason=f"Note {i}"
            )
        # Set-up no service produces: the decisions were taken before the dose 45 minutes ago.
        PrescriberDecision.objects.filter(session=s).update(
            decided_at=timezone.now() - dt.timedelta(minutes=50)
        )
        s.refresh_from_db()
        esk_dose(nurse, s, minutes_ago=45)
        s.refresh_from_db()
        _readings(nurse, s, n)
        for i in range(n):
            services.observation_record(
                by=nurse,
                session=s,
                code="blood_pressure",
                systolic_mmhg=130 + i % 3,
                diastolic_mmhg=85,
            )
            services.adverse_event_record(
                by=nurse,
                session=s,
                event_type="nausea_vomiting",
                severity="mild",
                serious=False,
                action_taken="none",
                outcome="resolved",
            )
        sessions.append(s)
    client = login(nurse)
    client.get(reverse("home"))  # the first request of a session renews it (one extra write)
    small, large = (
        _queries(client, reverse("treatment:session", kwargs={"session_id": s.pk}))
        for s in sessions
    )
    assert large == small


def test_the_board_reads_suicidality_flags_in_bulk_as_the_session_page_does(
    prescriber, nurse, esk_version, make_patient
) -> None:
    """The board's one-query flags match the per-session selector: a PHQ-9 item 9 today, and one
    from before the session's window (not counted), for two patients."""
    from ketaclinic.scales.services import scale_response_record
    from ketaclinic.treatment import selectors

    flagged = _session_now(prescriber, nurse, make_patient(prescriber), esk_version, "C1")
    old_flag = _session_now(prescriber, nurse, make_patient(prescriber), esk_version, "C2")
    for s in (flagged, old_flag):
        _check_in(nurse, s)
    answers = [2, 2, 1, 1, 1, 1, 1, 1, 1]  # item 9 answered 1: suicidal ideation flagged
    scale_response_record(
        by=nurse,
        patient=flagged.patient,
        code="phq9",
        answers=answers,
        effective_at=timezone.now(),  # after the session's own answers: the latest counts
    )
    scale_response_record(
        by=nurse,
        patient=old_flag.patient,
        code="phq9",
        answers=answers,
        effective_at=timezone.now() - dt.timedelta(days=5),
    )
    rows = {r.session.pk: r for r in selectors.board(membership=nurse)}
    assert rows[flagged.pk].waiting_for_prescriber
    assert not rows[old_flag.pk].waiting_for_prescriber
    bulk = selectors.suicidality_flags_for([flagged, old_flag])
    assert bulk[flagged.pk] == selectors.suicidality_flags(flagged)
    assert bulk[old_flag.pk] == selectors.suicidality_flags(old_flag) == []


def test_recording_a_reading_takes_the_same_queries_however_many_readings_the_session_has(
    prescriber, nurse, esk_version, make_patient, login
) -> None:
    """The chair's busiest write (htmx POST, 201 with the new row): its query count does not grow
    with the session's readings, and stays at the number measured when it was last tuned."""
    sessions = []
    for n in (1, 30):
        s = _session_now(prescriber, nurse, make_patient(prescriber), esk_version, f"C{n}")
        _check_in(nurse, s)
        s.refresh_from_db()
        esk_dose(nurse, s, minutes_ago=30)
        s.refresh_from_db()
        _readings(nurse, s, n)
        sessions.append(s)
    client = login(nurse)
    client.get(reverse("home"))  # the first request of a session renews it (one extra write)

    def post(session: Any) -> int:
        url = reverse("treatment:observation", kwargs={"session_id": session.pk})
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                url, {"code": "heart_rate", "value": "72"}, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 201
        return len(captured.captured_queries)

    small, large = (post(s) for s in sessions)
    assert large == small
    # Session + user + TOTP device + memberships (one joined query); the one-time form token; the
    # session row locked; the pre-dose baseline; the reading; the audit chain head locked, then the
    # event inserted and the head moved (one statement on PostgreSQL, two on SQLite); plus the
    # test's own savepoint statements where the backend logs them.
    assert small <= (9 if connection.vendor == "postgresql" else 10), small
