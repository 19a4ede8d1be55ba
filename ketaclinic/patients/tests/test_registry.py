"""The patient registry as staff use it: register, find, correct, and never lose an old value."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.verify import audit_chain_verify
from ketaclinic.patients import services
from ketaclinic.patients.models import Patient, RecordStatus, WeightMeasurement

VALID = {
    "mrn": "A100",
    "given_name": "Robin",
    "family_name": "Ashdown",
    "preferred_name": "",
    "date_of_birth": "1984-03-09",
    "sex": "female",
    "phone": "",
    "email": "",
    "address_line": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "emergency_contact_name": "",
    "emergency_contact_phone": "",
    "emergency_contact_relation": "",
    "notes": "",
}


def test_a_nurse_registers_a_patient_and_the_creation_is_audited(nurse, login) -> None:
    client = login(nurse)
    response = client.post(reverse("patients:create"), VALID)
    patient = Patient.objects.get(mrn="A100")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    event = AuditEvent.objects.get(event_type=EventType.PATIENT_CREATED, patient_id=patient.pk)
    assert event.actor_id == nurse.user_id
    assert event.extra["changes"]["family_name"] == {}  # named; the value is in the record only


def test_a_birth_date_in_the_future_is_refused_next_to_the_field(nurse, login) -> None:
    client = login(nurse)
    future = (timezone.now().date() + datetime.timedelta(days=3)).isoformat()
    response = client.post(reverse("patients:create"), {**VALID, "date_of_birth": future})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "cannot be in the future" in errors["date_of_birth"][0]
    assert not Patient.objects.exists()


def test_an_impossible_birth_date_is_refused_with_the_expected_format(nurse, login) -> None:
    client = login(nurse)
    response = client.post(reverse("patients:create"), {**VALID, "date_of_birth": "1990-02-30"})
    assert "YYYY-MM-DD" in response.context["form"].errors["date_of_birth"][0]
    assert not Patient.objects.exists()


def test_a_record_number_is_unique_within_a_clinic_but_not_across_clinics(
    nurse, outsider, make_patient
) -> None:
    make_patient(nurse, mrn="X1")
    with pytest.raises(ValidationError) as excinfo:
        make_patient(nurse, mrn="X1")
    assert "already used in this clinic" in excinfo.value.message_dict["mrn"][0]
    assert make_patient(outsider, mrn="X1").clinic_id == outsider.clinic_id


def test_an_edit_needs_a_reason_and_keeps_the_old_value(nurse, login, make_patient) -> None:
    patient = make_patient(nurse, family_name="Brightwater")
    client = login(nurse)
    url = reverse("patients:edit", args=[patient.pk])
    data = {**VALID, "mrn": patient.mrn, "family_name": "Brightwaters", "reason": ""}
    response = client.post(url, data)
    assert "reason" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.family_name == "Brightwater"

    response = client.post(url, {**data, "reason": "Spelling corrected from ID card"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Brightwaters"
    event = AuditEvent.objects.get(event_type=EventType.PATIENT_UPDATED, patient_id=patient.pk)
    assert event.reason == "Spelling corrected from ID card"
    assert event.extra["changes"]["family_name"] == {"old": "Brightwater"}  # new value: the record


def test_saving_an_unchanged_record_writes_no_event(nurse, make_patient) -> None:
    patient = make_patient(nurse)
    before = AuditEvent.objects.count()
    services.patient_update(by=nurse, patient=patient, reason="", given_name=patient.given_name)
    assert AuditEvent.objects.count() == before


def test_a_weight_in_pounds_is_stored_in_kilograms_with_the_entry_kept(
    nurse, login, make_patient
) -> None:
    patient = make_patient(nurse)
    client = login(nurse)
    response = client.post(
        reverse("patients:weight_add", args=[patient.pk]),
        {"value": "154", "unit": "lb", "measured_at": "2026-01-05T09:30"},
    )
    assert response.status_code == 302
    weight = WeightMeasurement.objects.get(patient=patient)
    assert weight.weight_kg == Decimal("69.9")
    assert (weight.entered_value, weight.entered_unit) == (Decimal("154.0"), "lb")
    # The local clinic time (New York, UTC-5 in January) is stored in UTC.
    assert weight.measured_at == datetime.datetime(2026, 1, 5, 14, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("value", "unit", "accepted"),
    [
        ("19.9", "kg", False),
        ("20", "kg", True),
        ("400", "kg", True),
        ("400.1", "kg", False),
        ("43", "lb", False),
        ("45", "lb", True),
    ],
)
def test_weights_outside_20_to_400_kg_are_refused_naming_the_range(
    nurse, login, make_patient, value, unit, accepted
) -> None:
    patient = make_patient(nurse)
    client = login(nurse)
    response = client.post(
        reverse("patients:weight_add", args=[patient.pk]),
        {"value": value, "unit": unit, "measured_at": "2026-01-05T09:30"},
    )
    saved = WeightMeasurement.objects.filter(patient=patient).exists()
    assert saved is accepted
    if not accepted:
        message = response.context["form"].errors["value"][0]
        assert "between 20 and 400 kg" in message


def test_a_corrected_weight_keeps_the_old_value_and_the_reason(nurse, make_patient) -> None:
    patient = make_patient(nurse)
    when = timezone.now() - datetime.timedelta(hours=1)
    wrong = services.weight_record(
        by=nurse, patient=patient, value=Decimal("170"), unit="kg", measured_at=when
    )
    right = services.weight_record(
        by=nurse,
        patient=patient,
        value=Decimal("70"),
        unit="kg",
        measured_at=when,
        replaces=wrong,
        reason="Typed 170 for 70",
    )
    wrong.refresh_from_db()
    assert wrong.status == RecordStatus.ENTERED_IN_ERROR
    assert wrong.weight_kg == Decimal("170.0")
    assert wrong.status_reason == "Typed 170 for 70"
    assert right.replaces_id == wrong.pk
    event = AuditEvent.objects.get(event_type=EventType.MEASUREMENT_CORRECTED)
    assert event.extra["changes"]["weight_kg"] == {}  # both values stay in the measurement rows
    from ketaclinic.patients.selectors import latest_weight

    assert latest_weight(patient=patient) == right


def test_a_correction_without_a_reason_is_refused_and_nothing_changes(nurse, make_patient) -> None:
    patient = make_patient(nurse)
    when = timezone.now()
    wrong = services.weight_record(
        by=nurse, patient=patient, value=Decimal("80"), unit="kg", measured_at=when
    )
    with pytest.raises(ValidationError) as excinfo:
        services.weight_record(
            by=nurse,
            patient=patient,
            value=Decimal("81"),
            unit="kg",
            measured_at=when,
            replaces=wrong,
        )
    assert "reason" in excinfo.value.message_dict
    wrong.refresh_from_db()
    assert wrong.status == RecordStatus.ACTIVE
    assert WeightMeasurement.objects.count() == 1


def test_a_diagnosis_needs_a_well_formed_icd10_code(nurse, make_patient) -> None:
    patient = make_patient(nurse)
    with pytest.raises(ValidationError) as excinfo:
        services.diagnosis_record(by=nurse, patient=patient, icd10_code="depression", text="MDD")
    assert "F33.2" in excinfo.value.message_dict["icd10_code"][0]
    diagnosis = services.diagnosis_record(
        by=nurse, patient=patient, icd10_code="f33.2", text="MDD, recurrent, severe"
    )
    assert diagnosis.icd10_code == "F33.2"


def test_a_withdrawn_medication_stays_on_the_chart_marked_in_error(
    nurse, login, make_patient
) -> None:
    patient = make_patient(nurse)
    med = services.medication_record(
        by=nurse, patient=patient, name="Lorazepam", is_benzodiazepine=True
    )
    client = login(nurse)
    response = client.post(
        reverse("patients:in_error", args=["medication", med.pk]), {"reason": "Wrong patient"}
    )
    assert response.status_code == 302
    med.refresh_from_db()
    assert med.status == RecordStatus.ENTERED_IN_ERROR
    chart = client.get(reverse("patients:detail", args=[patient.pk]))
    assert "Lorazepam" in chart.content.decode()
    assert chart.context["chart"].rems_flags == []


def test_the_chart_lists_the_rems_medication_flags(nurse, login, make_patient) -> None:
    patient = make_patient(nurse)
    services.medication_record(by=nurse, patient=patient, name="Lorazepam", is_benzodiazepine=True)
    services.medication_record(by=nurse, patient=patient, name="Tramadol", is_opioid=True)
    response = login(nurse).get(reverse("patients:detail", args=[patient.pk]))
    assert response.context["chart"].rems_flags == ["benzodiazepine", "opioid"]


def test_opening_a_chart_is_an_audited_read(nurse, login, make_patient) -> None:
    patient = make_patient(nurse)
    login(nurse).get(reverse("patients:detail", args=[patient.pk]))
    event = AuditEvent.objects.get(event_type=EventType.PATIENT_VIEWED)
    assert event.patient_id == patient.pk
    assert event.actor_id == nurse.user_id
    assert event.extra == {}  # ids only, never the data
    assert audit_chain_verify().ok


def test_search_finds_patients_by_name_record_number_and_birth_date(
    front_desk, login, make_patient
) -> None:
    make_patient(front_desk, given_name="Quinn", family_name="Larkmoor", mrn="Q77")
    make_patient(
        front_desk,
        given_name="Rowan",
        family_name="Oakhaven",
        date_of_birth=datetime.date(1971, 4, 2),
    )
    client = login(front_desk)

    def names(query: str) -> list[str]:
        page = client.get(reverse("patients:list"), {"q": query}).context["page"]
        return [p.family_name for p in page.object_list]

    assert names("lark") == ["Larkmoor"]
    assert names("quinn lark") == ["Larkmoor"]
    assert names("Q77") == ["Larkmoor"]
    assert names("1971-04-02") == ["Oakhaven"]
    assert names("04/02/1971") == ["Oakhaven"]
    assert names("nobody") == []


def test_the_patient_list_pages_by_25(front_desk, login, make_patient) -> None:
    for _ in range(30):
        make_patient(front_desk)
    client = login(front_desk)
    first = client.get(reverse("patients:list")).context["page"]
    second = client.get(reverse("patients:list"), {"page": 2}).context["page"]
    assert len(first.object_list) == 25
    assert len(second.object_list) == 5


def test_htmx_search_returns_only_the_results_fragment(front_desk, login, make_patient) -> None:
    make_patient(front_desk, family_name="Kestrel")
    response = login(front_desk).get(reverse("patients:list"), {"q": "kes"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Kestrel" in body
    assert "<html" not in body


def test_pages_with_patient_data_are_never_cached(nurse, login, make_patient) -> None:
    patient = make_patient(nurse)
    response = login(nurse).get(reverse("patients:detail", args=[patient.pk]))
    assert "no-store" in response["Cache-Control"]


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_and_chart_take_the_same_queries_however_much_they_show(
    nurse, login, make_patient
) -> None:
    """No N+1: a chart with ten medications and weights costs what a chart with one costs."""

    def fill(patient, n: int) -> None:
        for i in range(n):
            services.medication_record(by=nurse, patient=patient, name=f"Drug {i}")
            services.weight_record(
                by=nurse,
                patient=patient,
                value=Decimal(70 + i),
                unit="kg",
                measured_at=timezone.now() - datetime.timedelta(days=i),
            )
            services.allergy_record(by=nurse, patient=patient, substance=f"S{i}", severity="mild")

    small, large = make_patient(nurse), make_patient(nurse)
    fill(small, 1)
    fill(large, 10)
    client = login(nurse)
    client.get(reverse("home"))  # the first request of a session renews it (one extra write)
    small_chart = _queries(client, reverse("patients:detail", args=[small.pk]))
    large_chart = _queries(client, reverse("patients:detail", args=[large.pk]))
    assert large_chart == small_chart
    few_patients = _queries(client, reverse("patients:list"))
    for _ in range(20):
        make_patient(nurse)
    assert _queries(client, reverse("patients:list")) == few_patients
