"""The endpoints apply the web's clinic scoping (another clinic's object is a 404) and roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.scales.services import scale_response_record

PHQ9_MODERATE = [1, 1, 1, 1, 1, 1, 2, 1, 1]


def _at(hours_ago: float) -> str:
    return (timezone.now() - dt.timedelta(hours=hours_ago)).isoformat()


@pytest.fixture
def patient(prescriber, make_patient):
    return make_patient(prescriber)


def test_it_lists_the_clinics_patients_with_bounded_paging(
    client, nurse, outsider, make_patient, bearer
) -> None:
    for _ in range(3):
        make_patient(nurse)
    make_patient(outsider, mrn="SOUTH1")
    headers = bearer(nurse)
    page = client.get("/api/v1/patients?limit=2&offset=1", headers=headers).json()
    assert page["count"] == 3
    assert len(page["items"]) == 2
    assert "SOUTH1" not in {p["mrn"] for p in page["items"]}
    too_many = client.get("/api/v1/patients?limit=1000", headers=headers)
    assert too_many.status_code == 422
    assert "limit" in too_many.json()["errors"]


def test_another_clinics_patient_is_not_found(client, nurse, outsider, make_patient, bearer):
    theirs = make_patient(outsider)
    headers = bearer(nurse)
    for url in (f"/api/v1/patients/{theirs.pk}", f"/api/v1/patients/{theirs.pk}/scale-responses"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found."}


def test_reading_a_patient_writes_a_read_event_with_ids_only(client, nurse, patient, bearer):
    response = client.get(f"/api/v1/patients/{patient.pk}", headers=bearer(nurse))
    assert response.status_code == 200
    assert response.json()["mrn"] == patient.mrn
    event = AuditEvent.objects.filter(event_type=EventType.PATIENT_VIEWED).latest("seq")
    assert event.patient_id == patient.pk
    assert event.actor_id == nurse.user_id
    assert patient.family_name not in str(event.extra)


def test_a_researcher_cannot_read_identified_patients(client, researcher, patient, bearer):
    headers = bearer(researcher)
    assert client.get("/api/v1/patients", headers=headers).status_code == 403
    assert client.get(f"/api/v1/patients/{patient.pk}", headers=headers).status_code == 403
    scales = client.get(f"/api/v1/patients/{patient.pk}/scale-responses", headers=headers)
    assert scales.status_code == 403


def test_front_desk_sees_that_a_response_exists_but_not_its_answers(
    client, nurse, front_desk, patient, bearer
) -> None:
    scale_response_record(
        by=nurse,
        patient=patient,
        code="phq9",
        answers=PHQ9_MODERATE,
        effective_at=timezone.now() - dt.timedelta(hours=1),
    )
    url = f"/api/v1/patients/{patient.pk}/scale-responses"
    desk = client.get(url, headers=bearer(front_desk)).json()["items"][0]
    assert desk["code"] == "phq9"
    assert desk["answers"] is None
    assert desk["total"] is None
    seen = client.get(url, headers=bearer(nurse)).json()["items"][0]
    assert seen["answers"] == PHQ9_MODERATE
    assert seen["total"] == 10
    refused = client.post(
        url,
        {"code": "phq9", "answers": PHQ9_MODERATE, "effective_at": _at(0.5)},
        content_type="application/json",
        headers=bearer(front_desk),
    )
    assert refused.status_code == 403
    assert ScaleResponse.objects.count() == 1


def test_a_nurse_records_a_scored_response(client, nurse, patient, bearer) -> None:
    response = client.post(
        f"/api/v1/patients/{patient.pk}/scale-responses",
        {"code": "phq9", "answers": PHQ9_MODERATE, "effective_at": _at(1)},
        content_type="application/json",
        headers=bearer(nurse),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == 10
    assert body["band"] == "moderate"
    stored = ScaleResponse.objects.get()
    assert stored.recorded_by_id == nurse.user_id
    assert AuditEvent.objects.filter(event_type=EventType.SCALE_RESPONSE_RECORDED).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"code": "phq9", "answers": [0, 0, 0, 0, 4, 0, 0, 0, 0], "effective_at": _at(1)},
            "item_5",
        ),
        ({"code": "beck", "answers": [1], "effective_at": _at(1)}, "code"),
        ({"code": "phq9", "answers": PHQ9_MODERATE, "effective_at": _at(-2)}, "effective_at"),
        (
            {"code": "phq9", "answers": PHQ9_MODERATE, "effective_at": "2025-01-01T10:00:00"},
            "effective_at",
        ),
        ({"code": "phq9", "answers": "all zero", "effective_at": _at(1)}, "answers"),
        ({"answers": PHQ9_MODERATE, "effective_at": _at(1)}, "code"),
    ],
)
def test_a_bad_response_is_refused_naming_the_field(
    client, nurse, patient, bearer, payload, field
) -> None:
    response = client.post(
        f"/api/v1/patients/{patient.pk}/scale-responses",
        payload,
        content_type="application/json",
        headers=bearer(nurse),
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert field in body["errors"]
    assert field in body["message"]
    assert not ScaleResponse.objects.exists()


@pytest.fixture
def session(nurse, prescriber, clinic_admin, make_patient):
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    patient = make_patient(prescriber)
    testing.weigh(prescriber, patient)
    testing.clear_for_course(prescriber, patient, version)
    return testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, patient=patient
    )


def test_sessions_of_a_day_and_one_session(client, nurse, session, bearer) -> None:
    headers = bearer(nurse)
    day = timezone.now().astimezone(session.clinic.tzinfo).date()
    listed = client.get(f"/api/v1/sessions?date={day.isoformat()}", headers=headers).json()
    assert [s["id"] for s in listed] == [session.pk]
    other_day = client.get(f"/api/v1/sessions?date={day - dt.timedelta(days=3)}", headers=headers)
    assert other_day.json() == []
    one = client.get(f"/api/v1/sessions/{session.pk}", headers=headers).json()
    assert one["patient_id"] == str(session.patient_id)
    assert one["phase"] == "pre_dose"  # checked in, checklist recorded
    far = client.get("/api/v1/sessions?date=2205-01-01", headers=headers)
    assert far.status_code == 422
    assert "date" in far.json()["message"]


def test_sessions_keep_the_webs_roles_and_clinic(
    client, front_desk, outsider, session, bearer
) -> None:
    assert client.get(f"/api/v1/sessions/{session.pk}", headers=bearer(outsider)).status_code == 404
    desk = bearer(front_desk)
    assert client.get(f"/api/v1/sessions/{session.pk}", headers=desk).status_code == 403
    assert client.get("/api/v1/sessions", headers=desk).status_code == 403
