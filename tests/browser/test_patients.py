"""The patient registry in a real browser: find a patient, register one, record a weight."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import field_group, sign_in_through_ui

pytestmark = pytest.mark.browser


def _results(page: Page) -> Locator:
    return page.locator("#results")


@pytest.fixture
def two_patients(prescriber, make_patient):
    okafor = make_patient(
        prescriber,
        mrn="K-1001",
        given_name="Adaeze",
        family_name="Okafor",
        date_of_birth=datetime.date(1975, 3, 9),
    )
    lindqvist = make_patient(
        prescriber,
        mrn="K-2002",
        given_name="Bo",
        family_name="Lindqvist",
        date_of_birth=datetime.date(1990, 11, 23),
        sex="male",
    )
    return okafor, lindqvist


def test_the_live_search_finds_a_patient_by_family_name_mrn_and_date_of_birth(
    new_page, prescriber, two_patients
):
    page = sign_in_through_ui(new_page(), prescriber)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(_results(page)).to_contain_text("2 patients")
    search = page.get_by_label("Search by name, MRN or date of birth")

    for query in ("Okafor", "okaf", "K-1001", "1975-03-09"):
        search.fill(query)  # typing alone searches (htmx): no button, no page load
        expect(_results(page)).to_contain_text(f"1 patient matching “{query}”")
        expect(_results(page).get_by_role("link", name="Okafor, Adaeze")).to_be_visible()
        expect(_results(page)).not_to_contain_text("Lindqvist")
        expect(page).to_have_url(re.compile(r"/patients/\?q="))  # the search is bookmarkable

    # Only the results were swapped in, not a second copy of the page.
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_have_count(1)
    expect(search).to_have_count(1)

    search.fill("Nobody-by-that-name")
    expect(_results(page)).to_contain_text("0 patients matching")
    expect(_results(page).get_by_role("link")).to_have_count(0)

    search.fill("Lindqvist")
    _results(page).get_by_role("link", name="Lindqvist, Bo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lindqvist, Bo")
    expect(page.locator(".facts").first).to_contain_text("K-2002")
    expect(page.locator(".facts").first).to_contain_text("1990-11-23")


def test_the_search_button_works_without_javascript(new_page, prescriber, two_patients):
    page = sign_in_through_ui(new_page(java_script_enabled=False), prescriber)
    page.goto("/patients/")
    search = page.get_by_label("Search by name, MRN or date of birth")

    for query, found, other in (
        ("Lindqvist", "Lindqvist, Bo", "Okafor"),
        ("K-1001", "Okafor, Adaeze", "Lindqvist"),
        ("1990-11-23", "Lindqvist, Bo", "Okafor"),
    ):
        search.fill(query)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"/patients/\?q=" + re.escape(query) + "$"))
        expect(_results(page)).to_contain_text(f"1 patient matching “{query}”")
        expect(_results(page).get_by_role("link", name=found)).to_be_visible()
        expect(_results(page)).not_to_contain_text(other)

    _results(page).get_by_role("link", name="Lindqvist, Bo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lindqvist, Bo")


def _fill_new_patient(page: Page, *, date_of_birth: str) -> None:
    page.get_by_label("Medical record number").fill("N-0042")
    page.get_by_label("Given name").fill("Marguerite")
    page.get_by_label("Family name").fill("Deschamps")
    page.get_by_label("Date of birth").fill(date_of_birth)
    page.get_by_label("Sex").select_option(label="Female")


def test_a_future_birth_date_is_refused_next_to_the_field_then_the_corrected_patient_is_saved(
    new_page, prescriber
):
    from ketaclinic.patients.models import Patient

    page = sign_in_through_ui(new_page(), prescriber)
    page.goto("/patients/")
    page.get_by_role("link", name="New patient").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New patient")

    today = datetime.datetime.now(prescriber.clinic.tzinfo).date()
    next_year = (today + datetime.timedelta(days=400)).isoformat()
    _fill_new_patient(page, date_of_birth=next_year)
    page.get_by_role("button", name="Save").click()

    dob_group = field_group(page, "Date of birth")
    expect(dob_group.locator(".errorlist")).to_contain_text("Date of birth cannot be in the future")
    expect(dob_group.locator(".errorlist")).to_contain_text("today is")
    expect(page.get_by_label("Date of birth")).to_have_attribute("aria-invalid", "true")
    # The error is only where the problem is, and what was typed is kept.
    expect(page.locator(".errorlist")).to_have_count(1)
    expect(page.get_by_label("Family name")).to_have_value("Deschamps")
    assert not Patient.objects.exists()

    page.get_by_label("Date of birth").fill("1984-07-14")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Deschamps, Marguerite")
    expect(page.get_by_role("status")).to_contain_text("Patient Marguerite Deschamps registered.")
    facts = page.locator(".facts").first
    expect(facts).to_contain_text("N-0042")
    expect(facts).to_contain_text("1984-07-14")
    expect(facts).to_contain_text("Female")
    patient = Patient.objects.get()
    assert patient.date_of_birth == datetime.date(1984, 7, 14)
    expect(page).to_have_url(f"/patients/{patient.pk}/")


def test_a_weight_entered_in_pounds_is_shown_in_kilograms_and_an_implausible_weight_is_refused(
    new_page, nurse, make_patient
):
    from ketaclinic.patients.models import WeightMeasurement

    patient = make_patient(nurse, given_name="Tomas", family_name="Brennan")
    page = sign_in_through_ui(new_page(), nurse)
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator(".facts").first).to_contain_text("not recorded")

    page.get_by_role("link", name="Add weight").click()
    page.get_by_label("Weight:").fill("10")
    page.get_by_label("Unit").select_option("kg")
    page.get_by_role("button", name="Save").click()

    weight_group = field_group(page, "Weight:")
    expect(weight_group.locator(".errorlist")).to_contain_text(
        "Weight must be between 20 and 400 kg"
    )
    expect(weight_group.locator(".errorlist")).to_contain_text("10.0 kg was entered")
    assert not WeightMeasurement.objects.exists()

    page.get_by_label("Weight:").fill("154")
    page.get_by_label("Unit").select_option("lb")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Brennan, Tomas")
    expect(page.get_by_role("status")).to_contain_text("Weight saved.")
    # 154 lb x 0.45359237 = 69.85 kg, shown to one decimal place.
    expect(page.locator(".facts").first).to_contain_text("69.9 kg")
    row = page.get_by_role("row").filter(has_text="69.9 kg")
    expect(row).to_contain_text("154.0 lb")
    expect(row).to_contain_text("Sam Tester")


def test_a_weight_is_shown_at_the_local_time_it_was_entered_in_the_clinics_time_zone(
    new_page, nurse, make_patient
):
    patient = make_patient(nurse, given_name="Rosa", family_name="Iglesias")
    yesterday = datetime.datetime.now(nurse.clinic.tzinfo).date() - datetime.timedelta(days=1)
    page = sign_in_through_ui(new_page(), nurse)
    page.goto(f"/patients/{patient.pk}/weight/")
    page.get_by_label("Weight:").fill("70")
    page.get_by_label("Measured at").fill(f"{yesterday.isoformat()}T09:15")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Iglesias, Rosa")
    row = page.get_by_role("row").filter(has_text="70.0 kg")
    expect(row).to_be_visible()
    assert f"{yesterday.isoformat()} 09:15" in row.inner_text()
