"""The public self-report page: single use, 72-hour expiry, unguessable token, rate limits, and no
patient data on the page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.alerts.models import Alert, AlertKind
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.scales import services
from ketaclinic.scales.models import ResponseSource, ScaleResponse, SelfReportLink

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [2, 2, 1, 1, 1, 1, 0, 0, 1]


def _post(values: list[int], prefix: str = "phq9") -> dict[str, str]:
    return {f"{prefix}-item_{i + 1}": str(v) for i, v in enumerate(values)}


@pytest.fixture
def patient(prescriber, make_patient):
    return make_patient(
        prescriber,
        given_name="Nora",
        family_name="Northway",
        mrn="NRX-7781",
        phone="201-555-0199",
        email="nora@example.invalid",
    )


@pytest.fixture
def sent(nurse, patient) -> tuple[SelfReportLink, str]:
    return services.self_report_link_create(by=nurse, patient=patient, codes=["phq9"])


def _url(token: str) -> str:
    return reverse("scales:self_report", args=[token])


def test_the_link_stores_only_a_hash_of_an_unguessable_token(sent) -> None:
    link, token = sent
    assert len(token) >= 43  # 32 random bytes, base64url
    assert link.token_hash == services.token_hash(token) != token
    assert token not in str(SelfReportLink.objects.values().get())
    assert link.expires_at - link.created_at == datetime.timedelta(hours=72)
    event = AuditEvent.objects.get(event_type=EventType.SELF_REPORT_LINK_CREATED)
    assert token not in str(event.extra)


def test_the_page_shows_the_questionnaire_and_no_patient_data(sent, patient, clinic) -> None:
    _, token = sent
    page = Client().get(_url(token))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Questionnaire from {clinic.name}" in html
    assert "Little interest or pleasure" in html
    for private in ("Nora", "Northway", "NRX-7781", "5550199", "nora@example", str(patient.pk)):
        assert private not in html, private
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]


def test_a_patient_submits_once_and_a_positive_item_9_raises_the_alert(sent, patient) -> None:
    link, token = sent
    client = Client()
    done = client.post(_url(token), _post(PHQ9_ITEM9))
    assert done.status_code == 200 and b"Thank you" in done.content
    response = ScaleResponse.objects.get()
    assert response.source == ResponseSource.SELF_REPORT
    assert response.recorded_by_id is None
    assert response.patient_id == patient.pk
    assert response.total == 9
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SUICIDAL_IDEATION and alert.patient_id == patient.pk
    # The link is spent: a second submission or visit stores nothing and says the link is gone.
    again = client.post(_url(token), _post([0] * 9))
    assert again.status_code == 404
    assert client.get(_url(token)).status_code == 404
    assert ScaleResponse.objects.count() == 1
    link.refresh_from_db()
    assert link.used_at is not None


def test_a_submission_racing_with_another_stores_one_response(sent) -> None:
    link, _ = sent
    stale = SelfReportLink.objects.get(pk=link.pk)  # loaded before either submission
    services.self_report_submit(link=link, answers={"phq9": [0] * 9})
    with pytest.raises(services.LinkUnavailableError):
        services.self_report_submit(link=stale, answers={"phq9": [3] * 9})
    assert ScaleResponse.objects.count() == 1


def test_an_incomplete_form_is_shown_again_with_the_item_marked(sent) -> None:
    _, token = sent
    data = _post(PHQ9_ITEM9)
    del data["phq9-item_3"]
    page = Client().post(_url(token), data)
    assert page.status_code == 200
    assert page.context["forms"][0].errors.keys() == {"item_3"}
    assert not ScaleResponse.objects.exists()


def test_the_link_expires_after_72_hours(sent) -> None:
    _, token = sent
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=71, minutes=59)):
        assert Client().get(_url(token)).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=72, minutes=1)):
        client = Client()
        assert client.get(_url(token)).status_code == 404
        assert client.post(_url(token), _post([0] * 9)).status_code == 404
    assert not ScaleResponse.objects.exists()


def test_a_wrong_token_is_404(sent) -> None:
    _, token = sent
    client = Client()
    assert client.get(_url(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert client.get(_url("x")).status_code == 404


def test_requests_from_one_client_are_rate_limited(sent) -> None:
    _, token = sent
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.get(_url(f"guess{n}")).status_code for n in range(services.PUBLIC_LIMIT_PER_IP)
    ]
    assert set(statuses) == {404}
    assert client.get(_url(token)).status_code == 429  # even the right token, from this client
    assert Client(REMOTE_ADDR="203.0.113.10").get(_url(token)).status_code == 200
    with time_machine.travel(timezone.now() + services.PUBLIC_WINDOW * 2):
        assert client.get(_url(token)).status_code == 200


def test_form_posts_through_one_link_are_limited(sent) -> None:
    _, token = sent
    invalid = {"phq9-item_1": "9"}
    for n in range(services.SUBMIT_LIMIT_PER_LINK):
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")
        assert client.post(_url(token), invalid).status_code == 200
    last = Client(REMOTE_ADDR="198.51.100.200").post(_url(token), _post([0] * 9))
    assert last.status_code == 429
    assert not ScaleResponse.objects.exists()


def test_staff_create_the_link_and_see_it_once(nurse, patient, login) -> None:
    client = login(nurse)
    url = reverse("scales:link_send", args=[patient.pk])
    form = client.get(url)
    assert b"PHQ-9" in form.content or b"Patient Health Questionnaire" in form.content
    assert b'value="madrs"' not in form.content  # licensed, clinician-rated
    page = client.post(url, {"codes": ["phq9", "gad7"]})
    assert page.status_code == 200
    shown = page.context["url"]
    link = SelfReportLink.objects.get()
    assert link.codes == ["phq9", "gad7"]
    assert shown.startswith("http://testserver/scales/r/")
    token = shown.rstrip("/").rsplit("/", 1)[1]
    assert services.token_hash(token) == link.token_hash
    assert b"Expires" in page.content


def test_a_link_can_only_ask_for_self_report_scales(nurse, patient) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.self_report_link_create(by=nurse, patient=patient, codes=["madrs"])
    assert "codes" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.self_report_link_create(by=nurse, patient=patient, codes=[])
