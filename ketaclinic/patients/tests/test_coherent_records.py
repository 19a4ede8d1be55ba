"""Issue 14, finding 11 (and 7): search finds any script in any case and inside names; a likely
duplicate is shown before a second record is made; phone numbers are real numbers stored in E.164;
nothing clinical is dated before birth; a name too long for its field is refused, never cut."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.patients import rules, services
from ketaclinic.patients.models import Patient

FORM = {
    "mrn": "A100",
    "given_name": "Élodie",
    "family_name": "Brontë",
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


@pytest.fixture
def names(front_desk, login):
    client = login(front_desk)

    def found(query: str) -> list[str]:
        page = client.get(reverse("patients:list"), {"q": query}).context["page"]
        return sorted(p.given_name for p in page.object_list)

    return found


def test_search_ignores_case_in_any_script(front_desk, make_patient, names) -> None:
    make_patient(front_desk, given_name="Élodie", family_name="Marchand")
    make_patient(front_desk, given_name="Σοφία", family_name="Παπαδοπούλου")
    make_patient(front_desk, given_name="Дмитрий", family_name="Иванов")
    assert names("ÉLODIE") == ["Élodie"]
    assert names("élodie") == ["Élodie"]
    assert names("elodie") == ["Élodie"]  # accents need not be typed
    assert names("ΣΟΦΊΑ") == ["Σοφία"]
    assert names("παπαδοπουλου") == ["Σοφία"]
    assert names("ДМИТРИЙ") == ["Дмитрий"]
    assert names("иванов") == ["Дмитрий"]


def test_search_matches_inside_names_and_given_then_family(front_desk, make_patient, names) -> None:
    make_patient(front_desk, given_name="Anna-Maria", family_name="McAllister")
    make_patient(front_desk, given_name="Quinn", family_name="Larkmoor")
    assert names("allis") == ["Anna-Maria"]
    assert names("maria") == ["Anna-Maria"]
    assert names("moor") == ["Quinn"]
    assert names("Quinn Larkmoor") == ["Quinn"]
    assert names("quinn allis") == []


def test_the_search_key_is_kept_up_to_date_when_a_name_is_corrected(
    front_desk, make_patient, names
) -> None:
    patient = make_patient(front_desk, given_name="Zoe", family_name="Ortiz")
    services.patient_update(
        by=front_desk, patient=patient, reason="Spelling", given_name="Zoë", family_name="Ørsted"
    )
    assert names("ØRSTED") == ["Zoë"]
    assert names("ortiz") == []


NAME_LETTERS = (
    "abcdefghijklmnopqrstuvwxyzàáâäçèéêëìíîïñòóôöùúûüÿßæøåœ"
    "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώ"
    "абвгдежзийклмнопрстуфхцчшщъыьэюяё -'"
)


@given(st.text(alphabet=NAME_LETTERS, max_size=40))
def test_a_name_has_one_search_key_in_any_case(text: str) -> None:
    key = rules.search_key(text)
    assert rules.search_key(text.upper()) == key
    assert rules.search_key(text.title()) == key
    assert rules.search_key(key) == key
    assert key in rules.search_key("x", text.upper(), "y")


def test_a_likely_duplicate_is_shown_and_needs_a_tick_to_go_on(
    front_desk, make_patient, login
) -> None:
    first = make_patient(
        front_desk,
        given_name="Élodie",
        family_name="Brontë",
        date_of_birth=datetime.date(1984, 3, 9),
        mrn="OLD1",
    )
    client = login(front_desk)
    data = {**FORM, "given_name": "ÉLODIE", "family_name": "bronte"}
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "may already be registered" in page
    assert reverse("patients:detail", args=[first.pk]) in page
    assert "OLD1" in page
    assert Patient.objects.count() == 1
    confirmed = client.post(reverse("patients:create"), {**data, "different_person": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_the_service_refuses_a_likely_duplicate_without_confirmation(
    front_desk, make_patient
) -> None:
    make_patient(front_desk, given_name="Ana", family_name="Silva", mrn="S1")
    with pytest.raises(ValidationError) as excinfo:
        make_patient(front_desk, given_name="ANA", family_name="SILVA", mrn="S2")
    assert "different_person" in excinfo.value.message_dict
    again = make_patient(
        front_desk, given_name="ANA", family_name="SILVA", mrn="S2", different_person=True
    )
    assert again.mrn == "S2"


def test_a_patient_of_another_clinic_is_no_duplicate(front_desk, outsider, make_patient) -> None:
    make_patient(outsider, given_name="Ana", family_name="Silva", mrn="S1")
    assert make_patient(front_desk, given_name="Ana", family_name="Silva", mrn="S1").pk


@pytest.mark.parametrize("field", ["phone", "emergency_contact_phone"])
def test_a_phone_number_that_is_not_one_is_refused_with_an_example(
    front_desk, login, field: str
) -> None:
    client = login(front_desk)
    response = client.post(reverse("patients:create"), {**FORM, field: "abc"})
    assert response.status_code == 200
    message = response.context["form"].errors[field][0]
    assert "phone number" in message.lower()
    assert "+1" in message  # an example in the clinic's region
    assert not Patient.objects.exists()


def test_a_phone_number_is_stored_in_e164(front_desk, login) -> None:
    client = login(front_desk)
    data = {**FORM, "phone": "(212) 555-0143", "emergency_contact_phone": "+44 20 7946 0958"}
    assert client.post(reverse("patients:create"), data).status_code == 302
    patient = Patient.objects.get()
    assert patient.phone == "+12125550143"
    assert patient.emergency_contact_phone == "+442079460958"


def test_a_birth_date_more_than_120_years_ago_is_refused(front_desk, login) -> None:
    client = login(front_desk)
    response = client.post(reverse("patients:create"), {**FORM, "date_of_birth": "1880-01-01"})
    assert "age at most 120" in response.context["form"].errors["date_of_birth"][0]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("field", ["given_name", "family_name", "emergency_contact_name"])
def test_a_name_too_long_for_its_field_is_refused_never_cut(front_desk, login, field) -> None:
    client = login(front_desk)
    response = client.post(reverse("patients:create"), {**FORM, field: "N" * 250})
    assert response.status_code == 200
    message = response.context["form"].errors[field][0]
    assert "at most" in message and "250" in message
    assert not Patient.objects.exists()


def test_the_browser_is_not_told_to_cut_long_names(front_desk, login) -> None:
    page = login(front_desk).get(reverse("patients:create")).content.decode()
    assert 'name="family_name"' in page
    assert "maxlength" not in page


def test_not_before_birth_names_the_field_and_the_birth_date() -> None:
    dob = datetime.date(1990, 6, 1)
    assert rules.not_before_birth(datetime.date(1990, 6, 1), dob, "Diagnosed on") is None
    message = rules.not_before_birth(datetime.date(1990, 5, 31), dob, "Diagnosed on")
    assert message is not None
    assert "Diagnosed on" in message and "1990-06-01" in message


def test_clinical_dates_before_birth_are_refused(front_desk, nurse, make_patient) -> None:
    patient = make_patient(front_desk, date_of_birth=datetime.date(1990, 6, 1))
    before = datetime.date(1989, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        services.diagnosis_record(
            by=nurse, patient=patient, icd10_code="F33.2", text="MDD", diagnosed_on=before
        )
    assert "before the date of birth" in excinfo.value.message_dict["diagnosed_on"][0]
    with pytest.raises(ValidationError) as excinfo:
        services.medication_record(by=nurse, patient=patient, name="Sertraline", started_on=before)
    assert "started_on" in excinfo.value.message_dict
    medication = services.medication_record(by=nurse, patient=patient, name="Sertraline")
    with pytest.raises(ValidationError) as excinfo:
        services.medication_stop(by=nurse, medication=medication, stopped_on=before, reason="x")
    assert "stopped_on" in excinfo.value.message_dict
    long_ago = datetime.datetime(1989, 1, 1, 9, 0, tzinfo=datetime.UTC)
    with pytest.raises(ValidationError) as excinfo:
        services.weight_record(
            by=nurse, patient=patient, value=Decimal("70"), unit="kg", measured_at=long_ago
        )
    assert "measured_at" in excinfo.value.message_dict


def test_a_birth_date_moved_after_a_recorded_date_is_refused(
    front_desk, nurse, make_patient
) -> None:
    patient = make_patient(front_desk, date_of_birth=datetime.date(1990, 6, 1))
    services.diagnosis_record(
        by=nurse,
        patient=patient,
        icd10_code="F33.2",
        text="MDD",
        diagnosed_on=datetime.date(2001, 1, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        services.patient_update(
            by=front_desk,
            patient=patient,
            reason="Typo",
            date_of_birth=datetime.date(2002, 1, 1),
        )
    assert "2001-01-01" in excinfo.value.message_dict["date_of_birth"][0]


def test_a_search_longer_than_100_characters_says_it_was_cut(front_desk, login) -> None:
    client = login(front_desk)
    page = client.get(reverse("patients:list"), {"q": "x" * 150}).content.decode()
    assert "Only the first 100 characters of the search were used." in page
    short = client.get(reverse("patients:list"), {"q": "x" * 100}).content.decode()
    assert "Only the first" not in short
