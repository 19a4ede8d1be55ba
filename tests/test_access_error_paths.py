"""Access control on the error paths, read auditing and field-level access (issue 10, findings 1,
3 and 10), over the same URL walk and North Clinic objects as ``tests/test_access_control.py``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaclinic.testing import sign_in
from ketaclinic.treatment.tests.factories import treatment_objects
from tests.test_access_control import ROUTES, North, _scale_response, build_north, concrete_url


@pytest.fixture
def north(prescriber, make_patient) -> North:
    return build_north(prescriber, make_patient)


@pytest.fixture
def insider(prescriber) -> Client:
    return sign_in(Client(), prescriber)


# --------------------------------------------------------------------------------------------------
# (f) A failed POST is not a way around a page's read permission (issue 10, finding 1): whatever a
# role posts, valid or not, the page it gets back is one it may read with GET.

ROLES = ["prescriber", "nurse", "front_desk", "inventory_manager", "researcher", "clinic_admin"]
# Routes that end the signed-in session (the sweep would sign itself out).
SESSION_ENDING_ROUTES = {"accounts:logout", "accounts:sessions_end"}
# Every form field name in the application, each with a value no field accepts (too long, not a
# number, not a date), and an empty form: two ways for a POST to fail validation.
_FIELD_NAMES = """action_taken address amount chair change_note clinic_id code codes
concentration_mg_per_ml confirmation_number criteria current_password date dea_number decision_note
description diagnosed_on diastolic_mmhg dose dose_mg dose_text email end escort event_type
expiry_date fasting_confirmed first_name hcp_email hcp_phone heart_rate icd10_code kind last_name
lot_number meaning measured_at moaa_s name new_date new_time new_value note notes outcome
override_reason password pregnancy_status printed_name product protocol reaction reason
rems_setting_id ride_home_confirmed role serious session_time severity spo2 start start_date
started_on stopped_on substance systolic_mmhg temporary_password text time_zone title token unit
username value version witness_password witness_token witness_username your_code your_password
""".split()
INVALID_POSTS: list[dict[str, str]] = [{}, dict.fromkeys(_FIELD_NAMES, "x" * 300)]


def _page(response: Any) -> str | None:
    """The template a 200 response rendered at the top (None for a redirect, an error, JSON)."""
    if response.status_code != 200 or not response.templates:
        return None
    return str(response.templates[0].name)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_a_failed_post_never_shows_a_page_the_role_cannot_read(
    role: str, request: pytest.FixtureRequest, north: North, insider: Client, login
) -> None:
    client = login(request.getfixturevalue(role))
    urls = [
        concrete_url(route, north, insider)
        for route in ROUTES
        if not route.is_public and route.name not in SESSION_ENDING_ROUTES
    ]
    readable = {page for url in urls if (page := _page(client.get(url))) is not None}
    assert readable, f"{role} reads no page at all: the sweep would be vacuous"
    posted = 0
    for url in urls:
        for data in INVALID_POSTS:
            response = client.post(url, data)
            posted += 1
            page = _page(response)
            assert page is None or page in readable, (
                f"{role} POST {url} with invalid data got {page}, a page it cannot GET"
            )
    assert posted >= 2 * 60


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
@pytest.mark.django_db
def test_a_refused_check_in_tells_the_front_desk_why_without_the_session_page(
    role: str, request: pytest.FixtureRequest, north: North, login
) -> None:
    session = treatment_objects(north.patient)["session"]
    client = login(request.getfixturevalue(role))
    url = reverse("treatment:check_in", kwargs={"session_id": session.pk})
    assert (
        client.get(reverse("treatment:session", kwargs={"session_id": session.pk})).status_code
        == 403
    )
    response = client.post(url, {"chair": "C" * 40}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain, "the failed check-in must redirect, not re-render the page"
    assert "treatment/session.html" not in [t.name for t in response.templates]
    assert "Chair or room: Ensure this value has at most 32 characters" in body  # as a message


# --------------------------------------------------------------------------------------------------
# (g) Every response that shows patient data writes one read event, ids only (finding 3).

READ_EVENT_TYPES = {
    "patient.viewed",
    "scale.response_viewed",
    "treatment.session_viewed",
    "treatment.course_viewed",
    "treatment.rems_form_viewed",
    "alert.viewed",
    "record.viewed",
}
PATIENT_OBJECT_PARAMS = {
    ("pk", "uuid"),
    ("entry_id", "int"),
    ("response_id", "int"),
    ("course_id", "int"),
    ("session_id", "int"),
    ("form_id", "int"),
}


def _read_events() -> Any:
    from ketaclinic.audit.models import AuditEvent

    return AuditEvent.objects.filter(event_type__in=READ_EVENT_TYPES)


@pytest.mark.parametrize("role", ["prescriber", "front_desk"])
@pytest.mark.django_db
def test_every_get_that_shows_patient_data_writes_one_read_event(
    role: str, request: pytest.FixtureRequest, north: North, insider: Client, login
) -> None:
    client = login(request.getfixturevalue(role))
    patient = north.patient
    seen = []
    for route in ROUTES:
        if route.is_public:
            continue
        url = concrete_url(route, north, insider)
        before = _read_events().order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(url)
        if response.status_code != 200:
            continue
        raw = (
            b"".join(response.streaming_content)  # CSV exports stream
            if response.streaming
            else response.content
        )
        body = raw.decode(errors="replace")
        shows_patient = patient.family_name in body or patient.mrn in body
        if not (shows_patient or set(route.params) & PATIENT_OBJECT_PARAMS):
            continue
        seen.append(route.name)
        events = list(_read_events().filter(id__gt=before))
        assert len(events) == 1, f"{role} GET {url} ({route.name}): {len(events)} read events"
        event = events[0]
        assert str(patient.pk) in event.extra["patient_ids"], f"{route.name}: {event.extra}"
        assert event.actor_id == request.getfixturevalue(role).user_id
        extra = str(event.extra)
        assert patient.family_name not in extra and patient.given_name not in extra  # ids only
    assert {"patients:detail", "patients:list"} <= set(seen)
    if role == "prescriber":
        assert {"scales:detail", "scales:fhir", "treatment:session", "treatment:course"} <= set(
            seen
        )


# --------------------------------------------------------------------------------------------------
# (h) Front desk sees that a scale response exists and when, never its answers (finding 10).


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
@pytest.mark.django_db
def test_non_clinical_roles_see_that_a_scale_exists_but_not_its_answers(
    role: str, request: pytest.FixtureRequest, north: North, login
) -> None:
    response = _scale_response(north)
    client = login(request.getfixturevalue(role))
    page = client.get(reverse("scales:detail", kwargs={"response_id": response.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Answers refer to" in body
    assert "<h2>Answers</h2>" not in body and "Total" not in body
    assert (
        client.get(reverse("scales:fhir", kwargs={"response_id": response.pk})).status_code == 403
    )
    clinical = login(request.getfixturevalue("nurse"))
    body = clinical.get(reverse("scales:detail", kwargs={"response_id": response.pk})).content
    assert b"<h2>Answers</h2>" in body and b"Total" in body
