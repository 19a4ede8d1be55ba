"""One-time form tokens (issue 10, finding 10): a double-submitted reading is recorded once; a
failed submission gives its token back; a later identical reading is recorded again."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.ops.idempotency import ALREADY, new_token
from ketaclinic.ops.models import FormToken
from ketaclinic.treatment.models import Observation

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(clinic_admin, nurse, prescriber):
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    return testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)


def _readings(session) -> int:
    return Observation.objects.filter(session=session, code="heart_rate").count()


def _url(session) -> str:
    return reverse("treatment:observation", kwargs={"session_id": session.pk})


def test_a_double_submitted_reading_is_recorded_once(session, nurse, login) -> None:
    client = login(nurse)
    before = _readings(session)
    first = client.post(_url(session), {"code": "heart_rate", "value": "72"})
    second = client.post(_url(session), {"code": "heart_rate", "value": "72"})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert _readings(session) == before + 1
    page = client.get(second["Location"]).content.decode()
    assert ALREADY.split(":")[0] in page


def test_a_double_submitted_htmx_reading_answers_409_the_second_time(session, nurse, login) -> None:
    client = login(nurse)
    before = _readings(session)
    data = {"code": "heart_rate", "value": "72"}
    assert client.post(_url(session), data, HTTP_HX_REQUEST="true").status_code == 201
    repeat = client.post(_url(session), data, HTTP_HX_REQUEST="true")
    assert repeat.status_code == 409
    assert "recorded once" in repeat.content.decode()
    assert _readings(session) == before + 1


def test_the_same_token_twice_creates_once_even_with_other_values(session, nurse, login) -> None:
    client = login(nurse)
    before = _readings(session)
    token = new_token()
    client.post(_url(session), {"code": "heart_rate", "value": "72", "form_token": token})
    client.post(_url(session), {"code": "heart_rate", "value": "74", "form_token": token})
    assert _readings(session) == before + 1
    client.post(_url(session), {"code": "heart_rate", "value": "74", "form_token": new_token()})
    assert _readings(session) == before + 2


def test_a_refused_submission_gives_its_token_back(session, nurse, login) -> None:
    client = login(nurse)
    spo2 = Observation.objects.filter(session=session, code="spo2").count()
    token = new_token()
    refused = client.post(_url(session), {"code": "spo2", "value": "104", "form_token": token})
    assert refused.status_code == 200
    assert "SpO2: allowed 1-100" in refused.content.decode()
    assert not FormToken.objects.exists()
    fixed = client.post(_url(session), {"code": "spo2", "value": "97", "form_token": token})
    assert fixed.status_code == 302
    assert Observation.objects.filter(session=session, code="spo2").count() == spo2 + 1


def test_an_identical_reading_taken_later_is_recorded_again(session, nurse, login) -> None:
    client = login(nurse)
    before = _readings(session)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(_url(session), {"code": "heart_rate", "value": "72"})
    with time_machine.travel(start + dt.timedelta(seconds=25), tick=False):
        client.post(_url(session), {"code": "heart_rate", "value": "72"})
    assert _readings(session) == before + 2


def test_a_malformed_token_is_refused_naming_the_field(session, nurse, login) -> None:
    client = login(nurse)
    before = _readings(session)
    response = client.post(
        _url(session), {"code": "heart_rate", "value": "72", "form_token": "<script>"}
    )
    assert response.status_code == 400
    assert response.content.decode().startswith("form_token: expected")
    assert _readings(session) == before


def test_the_session_page_issues_a_token_with_each_create_form_and_a_replay_records_once(
    session, nurse, login
) -> None:
    """The token the reading form carries is what stops a double submit of two different
    values (a tap, an edit, a second tap): the form's content alone would not."""
    client = login(nurse)
    html = client.get(reverse("treatment:session", kwargs={"session_id": session.pk})).content
    forms = re.findall(rb'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    tokens = {
        action: re.search(rb'name="form_token" value="([^"]+)"', body)
        for action, body in forms
        if action.endswith((b"/observation/", b"/adverse-event/"))
    }
    assert tokens and all(tokens.values()), tokens
    token = next(m for a, m in tokens.items() if a.endswith(b"/observation/"))
    assert token is not None
    before = _readings(session)
    data = {"code": "heart_rate", "value": "72", "form_token": token.group(1).decode()}
    client.post(_url(session), data)
    client.post(_url(session), {**data, "value": "76"})
    assert _readings(session) == before + 1
