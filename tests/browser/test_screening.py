"""Screening gates enrolment in a real browser (issue 11): an intracerebral haemorrhage history
stops an esketamine course; controlled hypertension is eligible with precautions and enrols."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketaclinic import testing
from ketaclinic.screening.demo import screen
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def _screened(prescriber: Any, version: Any, patient: Any, **answers: Any) -> Any:
    return screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(version.protocol.drug),
        indication=version.protocol.indication,
        answers=answers,
    )


def test_screening_decides_who_can_be_enrolled_in_esketamine(
    new_page, prescriber, clinic_admin, make_patient
) -> None:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    bleed = make_patient(prescriber, given_name="Hale", family_name="Bleedhistory")
    _screened(prescriber, version, bleed, intracerebral_haemorrhage_history=True)
    pressure = make_patient(prescriber, given_name="Tess", family_name="Pressure")
    testing.weigh(prescriber, pressure, "70", days_ago=3)
    _screened(
        prescriber, version, pressure, hypertension=True, systolic_mmhg=132, diastolic_mmhg=84
    )
    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), prescriber)

    page.goto(f"/screening/patient/{bleed.pk}/")
    page.locator("table.list a").first.click()
    expect(page.get_by_test_id("outcome")).to_have_text("Not eligible")
    expect(page.get_by_text("Cannot be overridden:")).to_be_visible()
    expect(page.get_by_role("button", name="Sign the override")).to_have_count(0)
    page.goto(f"/treatment/patients/{bleed.pk}/enrol/")
    page.get_by_label("Prescriber's decision to treat").fill("Wants esketamine.")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("alert")).to_contain_text("hard contraindication")

    page.goto(f"/screening/patient/{pressure.pk}/")
    page.locator("table.list a").first.click()
    expect(page.get_by_test_id("outcome")).to_have_text("Eligible with precautions")
    expect(page.get_by_text("Hypertension, controlled today")).to_be_visible()
    page.goto(f"/treatment/patients/{pressure.pk}/enrol/")
    page.get_by_label("Prescriber's decision to treat").fill("Eligible with BP precautions.")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("Enrolled; the session calendar is below.")).to_be_visible()
