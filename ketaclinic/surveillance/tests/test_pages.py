"""The patient's surveillance page, recording an item, the clinic safety page and the settings,
through the real services and pages, per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.surveillance.models import SurveillancePolicy, SurveillanceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosed(nurse: Any, prescriber: Any, clinic_admin: Any) -> Any:
    """An esketamine TRD session dosed 56 mg six minutes ago after a pre-dose BP of 124/78, with
    a reading of 150/92 after the dose."""
    from ketaclinic.treatment import services

    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, systolic=124, diastolic=78
    )
    first = timezone.now() - dt.timedelta(minutes=6)
    services.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal("56"),
        product="Spravato 56 mg kit",
        lot_number="LOT123",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first, first + dt.timedelta(minutes=5)],
    )
    services.observation_record(
        by=nurse,
        session=session,
        code="blood_pressure",
        systolic_mmhg=150,
        diastolic_mmhg=92,
        measured_at=timezone.now(),
    )
    session.refresh_from_db()
    return session


def _url(patient: Any) -> str:
    return reverse("surveillance:patient", kwargs={"pk": patient.pk})


def test_the_prescriber_sees_exposure_bp_trend_items_due_and_flags(
    dosed: Any, prescriber: Any, login: Any
) -> None:
    page = login(prescriber).get(_url(dosed.patient))
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 dosed session" in html
    assert "Esketamine" in html and "Nasal spray device" in html and ">56<" in html
    assert "124/78" in html and "150/92" in html  # pre-dose and peak
    assert "<svg" in html
    assert "Urinary-symptom questionnaire and urinalysis" in html
    assert "Liver function tests" in html
    assert "end of induction" in html
    assert "Misuse and diversion indicators" in html
    assert "No indicator fired." in html


def test_the_nurse_sees_the_page_without_the_misuse_flags(
    dosed: Any, nurse: Any, login: Any
) -> None:
    page = login(nurse).get(_url(dosed.patient))
    assert page.status_code == 200
    assert "Misuse and diversion indicators" not in page.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin", "inventory_manager", "researcher"])
def test_other_roles_are_refused_the_patients_surveillance(
    role: str, dosed: Any, login: Any, request: pytest.FixtureRequest
) -> None:
    client = login(request.getfixturevalue(role))
    assert client.get(_url(dosed.patient)).status_code == 403
    assert client.post(_url(dosed.patient), {}).status_code == 403


def test_another_clinics_prescriber_gets_404(dosed: Any, outsider: Any, login: Any) -> None:
    assert login(outsider).get(_url(dosed.patient)).status_code == 404


def test_recording_a_urinalysis_keeps_it_and_audits_ids_only(
    dosed: Any, nurse: Any, login: Any
) -> None:
    client = login(nurse)
    today = timezone.now().astimezone(nurse.clinic.tzinfo).date()
    response = client.post(
        _url(dosed.patient),
        {
            "kind": "urinary",
            "done_on": today.isoformat(),
            "result": "abnormal",
            "note": "trace blood",
        },
    )
    assert response.status_code == 302
    record = SurveillanceRecord.objects.get(patient=dosed.patient)
    assert (record.kind, record.done_on, record.result) == ("urinary", today, "abnormal")
    event = AuditEvent.objects.get(event_type=EventType.SURVEILLANCE_RECORDED)
    assert event.extra.get("surveillance_item") == "urinary"
    assert "trace blood" not in str(event.extra) and "abnormal" not in str(event.extra)
    html = client.get(_url(dosed.patient)).content.decode()
    assert "Abnormal: needs follow-up" in html and "trace blood" in html


@pytest.mark.parametrize(
    ("done_on", "result", "field_text"),
    [
        ("future", "normal", "cannot be in the future"),
        ("1900-01-01", "normal", "cannot be before the date of birth"),
        ("today", "benefit", "choose: Normal, Abnormal"),
    ],
)
def test_a_bad_record_is_refused_with_a_message_and_nothing_written(
    dosed: Any, prescriber: Any, login: Any, done_on: str, result: str, field_text: str
) -> None:
    today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
    day = {"future": (today + dt.timedelta(days=1)).isoformat(), "today": today.isoformat()}
    response = login(prescriber).post(
        _url(dosed.patient),
        {"kind": "liver", "done_on": day.get(done_on, done_on), "result": result},
    )
    assert response.status_code == 400
    assert field_text in response.content.decode()
    assert not SurveillanceRecord.objects.exists()


def test_a_record_marked_in_error_stays_visible_and_no_longer_counts(
    dosed: Any, prescriber: Any, login: Any
) -> None:
    from ketaclinic.surveillance import services

    today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
    record = services.surveillance_record(
        by=prescriber, patient=dosed.patient, kind="benefit_review", done_on=today, result="benefit"
    )
    client = login(prescriber)
    url = reverse("surveillance:record_in_error", kwargs={"record_id": record.pk})
    assert client.post(url, {"reason": ""}).status_code == 302
    record.refresh_from_db()
    assert not record.in_error  # a reason is needed
    assert client.post(url, {"reason": "Wrong patient"}).status_code == 302
    record.refresh_from_db()
    assert record.in_error and record.in_error_reason == "Wrong patient"
    html = client.get(_url(dosed.patient)).content.decode()
    assert "entered in error: Wrong patient" in html
    assert "end of induction" in html  # the review is due again


def test_the_safety_page_lists_an_overdue_item_and_adverse_events(
    dosed: Any, nurse: Any, prescriber: Any, clinic_admin: Any, login: Any
) -> None:
    from ketaclinic.treatment import services
    from ketaclinic.treatment.models import Course

    Course.objects.filter(pk=dosed.course_id).update(
        start_date=timezone.now().date() - dt.timedelta(weeks=6)
    )  # set-up no service produces: a course that began six weeks ago
    services.adverse_event_record(
        by=nurse,
        session=dosed,
        event_type="nausea_vomiting",
        severity="mild",
        serious=False,
        action_taken="Antiemetic offered",
        outcome="resolved",
    )
    for who in (prescriber, clinic_admin, nurse):
        page = login(who).get(reverse("surveillance:safety"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Overdue surveillance items (1)" in html
        assert dosed.patient.full_name in html and "Review of benefit" in html
        assert "Nausea or vomiting" in html and "Adverse events by type and protocol (1)" in html


@pytest.mark.parametrize("role", ["front_desk", "inventory_manager", "researcher"])
def test_the_safety_page_is_refused_to_roles_without_alerts(
    role: str, login: Any, request: pytest.FixtureRequest
) -> None:
    assert (
        login(request.getfixturevalue(role)).get(reverse("surveillance:safety")).status_code == 403
    )


def test_the_clinic_admin_sets_intervals_within_their_limits(
    clinic_admin: Any, nurse: Any, login: Any
) -> None:
    url = reverse("surveillance:settings")
    values = {
        "urinary_interval_weeks": 8,
        "liver_interval_weeks": 26,
        "induction_weeks": 4,
        "review_interval_weeks": 12,
        "escalation_percent": 50,
    }
    client = login(clinic_admin)
    bad = client.post(url, {**values, "urinary_interval_weeks": 0})
    assert bad.status_code == 400
    assert not SurveillancePolicy.objects.exists()
    assert client.post(url, values).status_code == 302
    assert SurveillancePolicy.objects.get(clinic=clinic_admin.clinic).urinary_interval_weeks == 8
    assert login(nurse).post(url, values).status_code == 403
