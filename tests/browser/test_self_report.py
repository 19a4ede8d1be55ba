"""A patient answers the PHQ-9 on a phone through a self-report link; item 9 positive raises the
alert on the clinic's home page and the chart, and the chart shows the new point."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Answers 0-3 per item; item 9 ("Thoughts that you would be better off dead ...") is 2.
ANSWERS = {1: 2, 2: 2, 3: 1, 4: 2, 5: 1, 6: 1, 7: 1, 8: 0, 9: 2}
ANCHORS = {0: "Not at all", 1: "Several days", 2: "More than half the days", 3: "Nearly every day"}


@pytest.fixture
def patient(prescriber, make_patient):
    from ketaclinic.scales.services import scale_response_record

    patient = make_patient(
        prescriber, mrn="SR-4242", given_name="Imogen", family_name="Quarrie", phone="201-555-0142"
    )
    scale_response_record(
        by=prescriber,
        patient=patient,
        code="phq9",
        answers=[3, 3, 2, 2, 2, 2, 2, 2, 0],
        effective_at=timezone.now() - datetime.timedelta(days=14),
    )
    return patient


def test_a_patient_completes_the_phq9_on_a_phone_and_the_alert_reaches_the_clinic(
    new_page, prescriber, patient
):
    staff = sign_in_through_ui(new_page(), prescriber)
    staff.goto(f"/patients/{patient.pk}/")
    section = staff.locator("section.scales-section")
    expect(section.locator("svg.trajectory-chart circle.point")).to_have_count(1)
    section.get_by_role("link", name="Send self-report link").click()
    expect(staff.get_by_role("checkbox", name=re.compile("PHQ-9"))).to_be_checked()
    staff.get_by_role("button", name="Create link").click()
    url = staff.get_by_label("Link").input_value()
    assert re.search(r"/scales/r/[A-Za-z0-9_-]{43}/$", url)

    phone = new_page(**PHONE)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Questionnaire from North Clinic")
    body = phone.locator("body")
    for private in ("Imogen", "Quarrie", "SR-4242", "555-0142"):
        expect(body).not_to_contain_text(private)
    for item, value in ANSWERS.items():
        group = phone.get_by_role("group", name=re.compile(rf"^{item}\. "))
        group.get_by_label(f"{value} · {ANCHORS[value]}").check()
    # Phone-friendly: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    # The link is single-use.
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link is not available")

    staff.goto("/")
    expect(staff.locator(".panels")).to_contain_text("Critical: Suicidal ideation reported (PHQ-9)")
    staff.goto(f"/patients/{patient.pk}/")
    expect(staff.get_by_role("alert").filter(has_text="Suicidal ideation reported")).to_be_visible()
    chart = staff.locator("section.scales-section svg.trajectory-chart")
    expect(chart.locator("circle.point")).to_have_count(2)
    expect(chart.locator("circle.point.flagged")).to_have_count(1)
    staff.locator("section.scales-section summary").first.click()
    expect(staff.locator("section.scales-section table")).to_contain_text("suicidal_ideation")
