"""Medication classes found from a drug's name through its ATC code (pure), and their use at
screening and before every dose: an unflagged lorazepam is still found as a benzodiazepine."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic import testing
from ketaclinic.patients import services as patients
from ketaclinic.screening import selectors
from ketaclinic.screening.demo import screen
from ketaclinic.screening.rules.medclasses import (
    ATC_CLASSES,
    NAME_ATC,
    MedClass,
    class_for_atc,
    suggest,
)


@pytest.mark.parametrize(
    ("name", "expected", "atc"),
    [
        ("Lorazepam 1 mg tablet", MedClass.BENZODIAZEPINE, "N05BA06"),
        ("ATIVAN", MedClass.BENZODIAZEPINE, "N05BA06"),
        ("Temazepam", MedClass.BENZODIAZEPINE, "N05CD07"),
        ("clonazepam 0.5mg", MedClass.BENZODIAZEPINE, "N03AE01"),
        ("Zolpidem ER", MedClass.Z_DRUG, "N05CF02"),
        ("Lisdexamfetamine (Vyvanse)", MedClass.PSYCHOSTIMULANT, "N06BA12"),
        ("Phenelzine", MedClass.MAOI, "N06AF03"),
        ("moclobemide", MedClass.MAOI, "N06AG02"),
        ("Oxycodone/paracetamol", MedClass.OPIOID, "N02AA05"),
        ("Methadone liquid", MedClass.OPIOID, "N07BC02"),
        ("Lamotrigine 200 mg", MedClass.ATTENUATING, "N03AX09"),
        ("Pseudoephedrine", MedClass.BP_RAISING, "R01BA02"),
    ],
)
def test_a_name_suggests_its_class_and_atc_code(name: str, expected: MedClass, atc: str) -> None:
    [found] = suggest(name)
    assert (found.med_class, found.atc_code) == (expected, atc)
    assert found.label and found.reason


def test_unknown_names_suggest_nothing_and_words_must_match_whole() -> None:
    assert suggest("Sertraline 100 mg") == []
    assert suggest("") == []
    assert suggest("lorazepamx") == []  # not a whole word


def test_two_drugs_in_one_name_give_both_classes() -> None:
    found = suggest("Xanax and tramadol")
    assert [s.med_class for s in found] == [MedClass.BENZODIAZEPINE, MedClass.OPIOID]


def test_the_longest_atc_prefix_decides() -> None:
    assert class_for_atc("N03AX09") == MedClass.ATTENUATING
    assert class_for_atc("N03AX12") == MedClass.OTHER_SEDATING
    assert class_for_atc("N03AX14") is None  # levetiracetam: not listed
    assert class_for_atc("n05ba01") == MedClass.BENZODIAZEPINE


def test_every_name_in_the_table_has_a_listed_class() -> None:
    for name, code in NAME_ATC.items():
        assert class_for_atc(code) is not None, name
    assert all(len(prefix) >= 4 for prefix in ATC_CLASSES)


@given(st.text(max_size=60))
def test_suggest_never_fails_and_only_returns_known_codes(name: str) -> None:
    for s in suggest(name):
        assert s.atc_code in NAME_ATC.values()
        assert class_for_atc(s.atc_code) == s.med_class


@pytest.mark.django_db
def test_an_unflagged_benzodiazepine_shows_at_screening_and_before_the_dose(
    login, prescriber, clinic_admin, make_patient
) -> None:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    patient = make_patient(prescriber)
    s: Any = screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(version.protocol.drug),
        indication=version.protocol.indication,
    )
    patients.medication_record(by=prescriber, patient=patient, name="Lorazepam", dose_text="1 mg")
    patients.medication_record(by=prescriber, patient=patient, name="Sertraline")
    found = selectors.dose_time_findings(
        patient=patient, protocol_code="esketamine_trd", drug="esketamine"
    )
    [finding] = found
    assert not finding.hard
    assert "Lorazepam" in finding.reason and "benzodiazepine, ATC N05BA06" in finding.reason
    page = login(prescriber).get(reverse("screening:detail", args=[s.pk])).content.decode()
    assert (
        "suggested from the name" in page and "Sertraline" not in page.split("Interacting")[1][:400]
    )


@pytest.mark.django_db
def test_a_confirmed_flag_is_not_suggested_again(prescriber, make_patient) -> None:
    patient = make_patient(prescriber)
    patients.medication_record(
        by=prescriber, patient=patient, name="Lorazepam", is_benzodiazepine=True
    )
    [row] = selectors.medication_classes(patient=patient)
    assert row.confirmed == ("benzodiazepine",) and row.unconfirmed == ()
