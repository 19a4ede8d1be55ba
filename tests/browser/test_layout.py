"""The chart at the chair-side: a tablet shows the whole chart without sideways scrolling."""

from __future__ import annotations

import datetime
import os

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_chart(nurse, make_patient):
    """A chart with every table filled, long values included, as a real one would be."""
    from decimal import Decimal

    from django.utils import timezone

    from ketaclinic.patients import services

    patient = make_patient(
        nurse,
        mrn="TRD-000917",
        given_name="Maximiliana",
        family_name="Vandenberghe-Oyelaran",
        preferred_name="Max",
        phone="+1 617 555 0142",
        email="max.vandenberghe-oyelaran@example.org",
        address_line="1180 Commonwealth Avenue, Apartment 4B",
        city="Boston",
        state="MA",
        postal_code="02134",
        emergency_contact_name="Jonas Vandenberghe",
        emergency_contact_relation="Spouse",
        emergency_contact_phone="+1 617 555 0199",
    )
    services.diagnosis_record(
        by=nurse,
        patient=patient,
        icd10_code="F33.2",
        text="Major depressive disorder, recurrent severe without psychotic features",
        diagnosed_on=datetime.date(2019, 4, 2),
    )
    services.medication_record(
        by=nurse,
        patient=patient,
        name="Lorazepam",
        dose_text="0.5 mg by mouth at bedtime as needed for insomnia",
        started_on=datetime.date(2023, 1, 15),
        is_benzodiazepine=True,
    )
    services.medication_record(
        by=nurse, patient=patient, name="Sertraline", dose_text="150 mg daily"
    )
    services.allergy_record(
        by=nurse, patient=patient, substance="Penicillin", reaction="Hives", severity="moderate"
    )
    services.weight_record(
        by=nurse,
        patient=patient,
        value=Decimal("172"),
        unit="lb",
        measured_at=timezone.now() - datetime.timedelta(days=2),
    )
    services.height_record(
        by=nurse,
        patient=patient,
        value=Decimal("168"),
        unit="cm",
        measured_at=timezone.now() - datetime.timedelta(days=2),
    )
    return patient


def _horizontal_overflow(page: Page) -> int:
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


# Blocks (tables, fact boxes, sections) that stick out of the page's content column, in pixels.
_OVERHANGS = """() => {
  const main = document.querySelector("main");
  const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  return [...main.querySelectorAll("table, dl, section, form, .heading-row")]
    .map((el) => [el.tagName + "." + el.className, Math.round(el.getBoundingClientRect().right - right)])
    .filter(([, over]) => over > 1);
}"""


@pytest.mark.parametrize(
    ("width", "height"), [(768, 1024), (1024, 768)], ids=["tablet-portrait", "tablet-landscape"]
)
def test_a_full_chart_fits_a_tablet_without_horizontal_scrolling(
    new_page, nurse, busy_chart, width, height
):
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": height}), nurse)
    page.goto(f"/patients/{busy_chart.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vandenberghe-Oyelaran")
    expect(page.get_by_role("note")).to_contain_text("Penicillin (Hives)")
    expect(page.locator(".facts").first).to_contain_text("78.0 kg")
    expect(page.locator(".facts").first).to_contain_text("benzodiazepine")

    shot = os.environ.get("KETACLINIC_BROWSER_SCREENSHOTS")
    if shot:
        page.screenshot(path=os.path.join(shot, f"chart-{width}x{height}.png"), full_page=True)
    assert _horizontal_overflow(page) == 0
    assert page.evaluate(_OVERHANGS) == []


# --- issue 14, finding 7: long text, narrow screens, print -------------------------------------

NOTE = ("Patient reports improved sleep and mood after the last session; " * 160)[:10_000]
UNBROKEN = "x" * 600  # a word longer than any screen


@pytest.fixture
def long_note_chart(nurse, make_patient):
    return make_patient(
        nurse,
        mrn="LONG-1",
        given_name="Alexandrina",
        family_name="Vandenberghe-Oyelaran",
        notes=NOTE + " " + UNBROKEN,
    )


@pytest.mark.parametrize("width", [390, 820, 1280])
def test_a_ten_thousand_character_note_wraps_at_every_width(
    new_page, nurse, long_note_chart, width
):
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), nurse)
    page.goto(f"/patients/{long_note_chart.pk}/")
    expect(page.locator(".notes")).to_contain_text("improved sleep")
    assert _horizontal_overflow(page) == 0
    # The whole note is there, wrapped, not cut.
    text = page.locator(".notes").inner_text()
    assert UNBROKEN in text.replace("\n", "")
    assert len(text.replace("\n", "")) >= len(NOTE) + len(UNBROKEN)


def test_the_chart_prints_without_navigation_or_forms(new_page, nurse, long_note_chart):
    page = sign_in_through_ui(new_page(viewport={"width": 1280, "height": 900}), nurse)
    page.goto(f"/patients/{long_note_chart.pk}/")
    expect(page.locator("header.topbar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    for form in page.locator("main form").all():
        expect(form).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vandenberghe-Oyelaran")
    expect(page.locator(".notes")).to_be_visible()


def test_the_session_record_prints_without_navigation_or_forms(
    new_page, nurse, prescriber, clinic_admin
):
    from ketaclinic import testing

    version = testing.shipped_protocol(clinic_admin)
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    page = sign_in_through_ui(new_page(viewport={"width": 1280, "height": 900}), nurse)
    page.goto(f"/treatment/sessions/{session.pk}/")
    assert page.locator("main form").count() > 0  # the chair-side page has its entry forms
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    for form in page.locator("main form").all():
        expect(form).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_the_keyboard_skips_to_content_and_walks_the_nav(new_page, nurse):
    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 800}), nurse)
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    for _ in range(10):  # brand, then the nav links in order
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Patients":
            break
    expect(page.locator(":focus")).to_have_text("Patients")
    page.keyboard.press("Enter")
    expect(page).to_have_url("/patients/")
    expect(page.locator('nav[aria-label="Main"] a[aria-current="page"]')).to_have_text("Patients")
