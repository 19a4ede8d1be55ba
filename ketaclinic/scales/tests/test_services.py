"""Recording, correcting and alerting on rating-scale responses (database tests)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic.alerts.models import Alert, AlertKind
from ketaclinic.alerts.services import alert_acknowledge
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.scales import selectors, services
from ketaclinic.scales.models import ResponseSource, ResponseStatus, ScaleResponse

pytestmark = pytest.mark.django_db

PHQ9_MODERATE = [2, 2, 1, 1, 1, 1, 1, 1, 0]  # total 10
PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]  # total 10, item 9 positive


def _at(days_ago: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


@pytest.fixture
def patient(prescriber, make_patient):
    return make_patient(prescriber)


def test_it_records_a_scored_response_with_every_answer(nurse, patient) -> None:
    response = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(1)
    )
    response.refresh_from_db()
    assert response.answers == PHQ9_MODERATE
    assert response.total == 10
    assert response.band == "moderate"
    assert response.flags == []
    assert response.scale_version == "1"
    assert response.source == ResponseSource.CLINIC
    assert response.recorded_by_id == nurse.user_id
    assert response.clinic_id == patient.clinic_id
    event = AuditEvent.objects.get(event_type=EventType.SCALE_RESPONSE_RECORDED)
    assert event.object_id == str(response.pk)
    assert event.patient_id == patient.pk


def test_it_names_the_item_that_is_out_of_range(nurse, patient) -> None:
    with pytest.raises(ValidationError) as caught:
        services.scale_response_record(
            by=nurse,
            patient=patient,
            code="phq9",
            answers=[0, 0, 0, 0, 4, 0, 0, 0, 0],
            effective_at=_at(0),
        )
    assert "item_5" in caught.value.message_dict
    assert "0-3" in caught.value.message_dict["item_5"][0]
    assert not ScaleResponse.objects.exists()


def test_it_refuses_an_unknown_scale_and_a_future_time(nurse, patient) -> None:
    with pytest.raises(ValidationError) as caught:
        services.scale_response_record(
            by=nurse, patient=patient, code="beck", answers=[1], effective_at=_at(0)
        )
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.scale_response_record(
            by=nurse, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(-1)
        )
    assert "effective_at" in caught.value.message_dict


def test_a_missing_item_stores_no_total_and_flags_incomplete(nurse, patient) -> None:
    answers = [1, 1, 1, 1, 1, 1, 1, 1, None]
    response = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=answers, effective_at=_at(0)
    )
    assert response.total is None
    assert "incomplete" in response.flags


def test_roles_without_scale_recording_and_other_clinics_are_refused(
    front_desk, outsider, patient
) -> None:
    for who in (front_desk, outsider):
        with pytest.raises(PermissionDenied):
            services.scale_response_record(
                by=who, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(0)
            )


def test_a_correction_is_a_new_version_and_keeps_the_old_one(nurse, prescriber, patient) -> None:
    first = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(2)
    )
    with pytest.raises(ValidationError) as caught:
        services.scale_response_amend(by=prescriber, response=first, answers=[0] * 9, reason="  ")
    assert "reason" in caught.value.message_dict
    second = services.scale_response_amend(
        by=prescriber, response=first, answers=[0] * 9, reason="Item 1 mis-keyed"
    )
    first.refresh_from_db()
    assert first.status == ResponseStatus.AMENDED
    assert first.answers == PHQ9_MODERATE and first.total == 10
    assert second.amends_id == first.pk
    assert second.total == 0
    assert second.amend_reason == "Item 1 mis-keyed"
    assert second.effective_at == first.effective_at
    with pytest.raises(ValidationError):
        services.scale_response_amend(
            by=prescriber, response=first, answers=[1] * 9, reason="again"
        )
    event = AuditEvent.objects.get(event_type=EventType.SCALE_RESPONSE_AMENDED)
    assert event.reason == "Item 1 mis-keyed"
    assert event.extra["changes"]["total"] == {}  # both versions stay readable as responses
    latest = selectors.latest_responses(patient=patient, codes=["phq9"])
    assert latest["phq9"].pk == second.pk


def test_item_9_raises_one_critical_alert_that_stays_until_acknowledged(
    nurse, prescriber, patient
) -> None:
    response = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=PHQ9_ITEM9, effective_at=_at(0)
    )
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SUICIDAL_IDEATION
    assert alert.severity == "critical"
    assert alert.patient_id == patient.pk
    assert (alert.source_type, alert.source_id) == ("scales.scaleresponse", str(response.pk))
    # Raising again for the same response (e.g. a retried request) adds nothing.
    services._raise_alerts(by=nurse, response=response)
    assert Alert.objects.count() == 1
    with pytest.raises(PermissionDenied):
        alert_acknowledge(by=nurse, alert=alert, note="seen")
    alert_acknowledge(by=prescriber, alert=alert, note="Called the patient; safety plan reviewed.")
    alert.refresh_from_db()
    assert not alert.is_open


def test_cssrs_high_risk_raises_a_suicide_risk_alert(nurse, patient) -> None:
    # Items 1, 2 yes; 3, 4 yes (intent: high by the default mapping); 5 no; 6 no; 6b not asked.
    response = services.scale_response_record(
        by=nurse,
        patient=patient,
        code="cssrs_screener",
        answers=[1, 1, 1, 1, 0, 0, None],
        effective_at=_at(0),
    )
    assert "risk_high" in response.flags
    # One alert per response, however many items fire, naming every flag.
    (alert,) = Alert.objects.all()
    assert alert.severity == "critical"
    assert "risk_high" in alert.detail and "suicidal_ideation" in alert.detail


def test_cssrs_moderate_risk_raises_a_warning(nurse, patient) -> None:
    services.scale_response_record(
        by=nurse,
        patient=patient,
        code="cssrs_screener",
        answers=[0, 0, None, None, None, 1, 0],
        effective_at=_at(0),
    )
    assert dict(Alert.objects.values_list("kind", "severity")) == {"suicide_risk": "warning"}


def test_no_alert_without_a_review_flag(nurse, patient) -> None:
    services.scale_response_record(
        by=nurse, patient=patient, code="gad7", answers=[3] * 7, effective_at=_at(0)
    )
    assert not Alert.objects.exists()


def test_latest_responses_returns_the_newest_final_per_code(nurse, patient) -> None:
    services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(5)
    )
    newest = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=[0] * 9, effective_at=_at(1)
    )
    services.scale_response_record(  # entered later, refers to an earlier time
        by=nurse, patient=patient, code="phq9", answers=[3] * 9, effective_at=_at(3)
    )
    gad = services.scale_response_record(
        by=nurse, patient=patient, code="gad7", answers=[1] * 7, effective_at=_at(4)
    )
    found = selectors.latest_responses(patient=patient, codes=["phq9", "gad7", "madrs"])
    assert found == {"phq9": newest, "gad7": gad}
    assert selectors.latest_responses(patient=patient, codes=["gad7"], since=_at(2)) == {}


def test_responses_for_patient_hides_other_clinics(nurse, outsider, patient) -> None:
    from django.http import Http404

    services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=PHQ9_MODERATE, effective_at=_at(1)
    )
    assert selectors.responses_for_patient(membership=nurse, patient=patient).count() == 1
    with pytest.raises(Http404):
        selectors.responses_for_patient(membership=outsider, patient=patient)


def test_clinic_outcome_series_is_ordered_per_patient(nurse, prescriber, make_patient) -> None:
    a, b = make_patient(prescriber), make_patient(prescriber)
    for p, totals in ((a, [20, 12, 4]), (b, [15])):
        for n, total in enumerate(totals):
            answers = [min(3, max(0, total - 3 * i)) for i in range(9)]
            services.scale_response_record(
                by=nurse, patient=p, code="phq9", answers=answers, effective_at=_at(10 - n)
            )
    series = selectors.clinic_outcome_series(clinic_id=nurse.clinic_id, codes=["phq9"])
    assert [t for _, t in series["phq9"][a.pk]] == [20, 12, 4]
    assert [t for _, t in series["phq9"][b.pk]] == [15]


def test_licensed_text_is_loaded_by_a_clinic_admin_only(clinic_admin, nurse, clinic) -> None:
    doc = {
        "scale": "madrs",
        "version": "1",
        "language": "en-GB",
        "items": [{"id": str(i), "text": f"Licensed wording {i}"} for i in range(1, 11)],
    }
    with pytest.raises(PermissionDenied):
        services.scale_text_load(by=nurse, clinic=clinic, data=doc)
    with pytest.raises(ValidationError) as caught:
        services.scale_text_load(by=clinic_admin, clinic=clinic, data={**doc, "scale": "phq9"})
    assert "free scale" in caught.value.message_dict["file"][0]
    services.scale_text_load(by=clinic_admin, clinic=clinic, data=doc)
    text = selectors.licensed_text(clinic_id=clinic.pk, code="madrs")
    assert text is not None and text.item("3").text == "Licensed wording 3"
    assert selectors.licensed_text(clinic_id=clinic.pk, code="ybocs") is None


def test_both_outcome_series_paths_agree(nurse, prescriber, make_patient) -> None:
    """The PostgreSQL path (arrays grouped in the database) and the portable path give the same
    series, including microseconds and ties broken by id; an amended version is left out."""
    from ketaclinic.scales.selectors import (
        _outcome_series_portable,
        _outcome_series_postgresql,
    )

    base = timezone.now().replace(microsecond=123457) - datetime.timedelta(days=40)
    patients = [make_patient(prescriber) for _ in range(3)]
    first = None
    for n, p in enumerate(patients):
        for step in range(4):
            when = base + datetime.timedelta(days=7 * step, microseconds=n)
            r = services.scale_response_record(
                by=nurse, patient=p, code="gad7", answers=[(step + n) % 4] * 7, effective_at=when
            )
            first = first or r
    services.scale_response_record(  # a tie on effective_at
        by=nurse, patient=patients[0], code="gad7", answers=[3] * 7, effective_at=base
    )
    assert first is not None
    services.scale_response_amend(by=nurse, response=first, answers=[0] * 7, reason="typo")
    portable = _outcome_series_portable(nurse.clinic_id, ["gad7", "phq9"])
    assert len(portable["gad7"][patients[0].pk]) == 5
    from django.db import connection

    if connection.vendor == "postgresql":
        assert _outcome_series_postgresql(nurse.clinic_id, ["gad7", "phq9"]) == portable
