"""The chair board's poll answers 204 when its rows are exactly unchanged (issue 15): every kind of
write that changes a row makes the old version re-render, the clock does too, and a version is
good only for the membership it was rendered for."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.alerts.models import Alert
from ketaclinic.alerts.services import alert_acknowledge
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.services import patient_update
from ketaclinic.scales.services import (
    scale_response_record,
    self_report_link_create,
    self_report_submit,
)
from ketaclinic.treatment import selectors, services
from ketaclinic.treatment.models import DecisionKind, DecisionOutcome, TreatmentSession
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db

URL = "treatment:board_rows"
_VERSION = re.compile(r'data-board-version="([^"]+)"')


def _poll(client: Client, version: str = "") -> Any:
    headers = {"HX-Request": "true"}
    if version:
        headers["X-Board-Version"] = version
    return client.get(reverse(URL), headers=headers)


def _rendered(client: Client, version: str = "") -> tuple[str, str]:
    """A poll that must render: its HTML and the version it carries."""
    response = _poll(client, version)
    assert response.status_code == 200
    html = response.content.decode()
    match = _VERSION.search(html)
    assert match is not None
    return html, match.group(1)


def _unchanged(client: Client, version: str) -> None:
    """A poll with the current version: 204, empty, and no audit event at all."""
    before = AuditEvent.objects.count()
    response = _poll(client, version)
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "no-store, private"
    assert AuditEvent.objects.count() == before


def _pdose(nurse: Any, session: TreatmentSession, minutes_ago: int = 6) -> TreatmentSession:
    esk_dose(nurse, session, minutes_ago=minutes_ago)
    session.refresh_from_db()
    return session


# Each write: (set-up returning the session, the write, text the re-rendered rows must show).
def _w_check_in(o: dict[str, Any]) -> str:
    services.session_check_in(by=o["nurse"], session=o["scheduled"], chair="Chair 9")
    return "Chair 9"


def _w_checklist_only(o: dict[str, Any]) -> str:
    testing.checklist(o["nurse"], o["unchecked"], systolic=150, diastolic=80)
    return "waiting for prescriber"


def _w_decision(o: dict[str, Any]) -> str:
    services.prescriber_decision_record(
        by=o["prescriber"],
        session=o["checked"],
        kind=DecisionKind.OTHER,
        outcome=DecisionOutcome.HOLD,
        reason="Hold: unwell today",
    )
    return "waiting for prescriber"


def _w_dose(o: dict[str, Any]) -> str:
    esk_dose(o["nurse"], o["checked"], minutes_ago=6)
    return "Monitoring"


def _w_reading(o: dict[str, Any]) -> str:
    services.observation_record(
        by=o["nurse"],
        session=o["late"],
        code="blood_pressure",
        systolic_mmhg=121,
        diastolic_mmhg=79,
    )
    return "Overdue: SpO2 at 40 min"  # the blood pressure is done: the SpO2 is what is late


def _w_alert_opened(o: dict[str, Any]) -> str:
    services.observation_record(by=o["nurse"], session=o["late"], code="spo2", value=85)
    return "Critical:"


def _w_alert_acknowledged(o: dict[str, Any]) -> str:
    alert = Alert.objects.filter(acknowledged_at__isnull=True).first()
    assert alert is not None
    alert_acknowledge(by=o["prescriber"], alert=alert, note="Seen, resolved")
    return ""


def _w_scale(o: dict[str, Any]) -> str:
    scale_response_record(
        by=o["nurse"],
        patient=o["checked"].patient,
        code="phq9",
        answers=[0] * 8 + [2],
        effective_at=timezone.now(),
    )
    return "Critical:"


def _w_self_report(o: dict[str, Any]) -> str:
    link, _ = self_report_link_create(by=o["nurse"], patient=o["checked"].patient, codes=["phq9"])
    self_report_submit(link=link, answers={"phq9": [0] * 8 + [3]})
    return "Critical:"


def _w_name(o: dict[str, Any]) -> str:
    patient_update(
        by=o["prescriber"], patient=o["checked"].patient, reason="Typo", family_name="Renamed"
    )
    return "Renamed"


def _w_cancel(o: dict[str, Any]) -> str:
    services.session_cancel(by=o["nurse"], session=o["scheduled"], reason="Patient unwell")
    return ""


WRITES: dict[str, Callable[[dict[str, Any]], str]] = {
    "check-in and chair": _w_check_in,
    "checklist": _w_checklist_only,
    "prescriber decision": _w_decision,
    "dose": _w_dose,
    "reading": _w_reading,
    "alert opened": _w_alert_opened,
    "scale response": _w_scale,
    "patient self-report": _w_self_report,
    "patient name correction": _w_name,
    "cancellation": _w_cancel,
}


@pytest.fixture
def floor(nurse, prescriber, clinic_admin, make_patient) -> dict[str, Any]:
    """A clinic day: a scheduled session, one checked in without checklist, one checked in, and
    one dosed an hour ago with its 40-minute reading overdue."""
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    o: dict[str, Any] = {"nurse": nurse, "prescriber": prescriber, "version": version}
    o["scheduled"] = testing.session_now(
        prescriber=prescriber, patient=make_patient(prescriber), version=version
    )
    o["unchecked"] = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, vitals_minutes_ago=None
    )
    o["checked"] = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    late = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, vitals_minutes_ago=70
    )
    o["late"] = _pdose(nurse, late, minutes_ago=60)
    return o


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_kind_of_write_makes_the_old_version_render_again(
    floor: dict[str, Any], nurse, login, write: str
) -> None:
    client = login(nurse)
    html, version = _rendered(client)
    _unchanged(client, version)
    shows = WRITES[write](floor)
    after, newer = _rendered(client, version)
    assert after != html
    assert newer != version
    if shows:
        assert after.count(shows) > html.count(shows)
    _unchanged(client, newer)  # and the new version holds until the next change


def test_an_acknowledged_alert_makes_the_old_version_render_again(
    floor: dict[str, Any], nurse, login
) -> None:
    _w_alert_opened(floor)
    client = login(nurse)
    html, version = _rendered(client)
    assert "Critical:" in html
    _w_alert_acknowledged(floor)
    after, _ = _rendered(client, version)
    assert "Critical:" not in after


def test_a_scheduled_time_moved_makes_the_old_version_render_again(
    floor: dict[str, Any], nurse, clinic_admin, login
) -> None:
    client = login(nurse)
    html, version = _rendered(client)
    s: TreatmentSession = floor["scheduled"]
    later = s.scheduled_at.astimezone(s.clinic.tzinfo) + dt.timedelta(minutes=30)
    services.session_move(
        by=nurse,
        session=s,
        new_date=later.date(),
        new_time=later.time().replace(second=0, microsecond=0),
        chair="Chair 7",
        reason="Later slot",
    )
    after, _ = _rendered(client, version)
    assert after != html  # the row moved (to tomorrow's board near midnight)


def test_the_clock_makes_the_rows_render_again_at_their_next_change(
    floor: dict[str, Any], nurse, login
) -> None:
    client = login(nurse)
    _, version = _rendered(client)
    now = timezone.now()
    board = selectors.board_with_clock(membership=nurse, now=now)
    change = board.changes_at
    assert change > now
    assert selectors.board_unchanged(membership=nurse, token=version, now=change - _US)
    assert not selectors.board_unchanged(membership=nurse, token=version, now=change)
    # Not vacuous: following the changes, the rows do change by the clock alone.
    at = now
    for _ in range(20):
        at = selectors.board_with_clock(membership=nurse, now=at).changes_at + _US
        if selectors.board_with_clock(membership=nurse, now=at).rows != board.rows:
            break
    else:
        pytest.fail("20 changes by the clock and the rows never changed")


_US = dt.timedelta(microseconds=1)


def test_the_local_midnight_ends_an_empty_boards_version(nurse, login) -> None:
    client = login(nurse)
    html, version = _rendered(client)
    assert "No sessions today" in html
    tz = nurse.clinic.tzinfo
    tomorrow = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=tz)
    assert selectors.board_with_clock(membership=nurse).changes_at == midnight
    assert selectors.board_unchanged(membership=nurse, token=version, now=midnight - _US)
    assert not selectors.board_unchanged(membership=nurse, token=version, now=midnight)
    _unchanged(client, version)


def test_a_version_is_good_only_for_the_membership_it_was_rendered_for(
    floor: dict[str, Any], nurse, clinic, other_clinic, make_member, login
) -> None:
    colleague = make_member(clinic, "robin", "nurse")
    elsewhere = make_member(other_clinic, "ola", "nurse")
    others = [testing.sign_in(Client(), m) for m in (colleague, elsewhere)]
    client = login(nurse)
    _, version = _rendered(client)
    for theirs in others:
        assert _poll(theirs, version).status_code == 200
    # An altered version (any byte of its value or its signature) renders.
    value, signature = version.rsplit(":", 1)
    assert _poll(client, value.replace("|", "|9", 1) + ":" + signature).status_code == 200
    assert _poll(client, value + ":" + signature[::-1]).status_code == 200
    assert _poll(client, "garbage").status_code == 200
    _unchanged(client, version)


def test_a_role_that_may_not_see_the_board_is_refused_even_with_a_version(
    floor: dict[str, Any], nurse, researcher, login
) -> None:
    _, version = _rendered(login(nurse))
    client = testing.sign_in(Client(), researcher)
    assert _poll(client, version).status_code == 403
