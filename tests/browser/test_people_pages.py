"""Issue 14 at phone and desktop widths: the clinic outcomes page (charts, table, filters) and the
add-staff page with all its errors shown: their own blocks stay inside the page's content column
(tables scroll inside their own box). Whole-document overflow at 390 px comes from the shared layout
(base.html and app.css, another part of issue 14) and is checked at 1280 px here."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]


# Blocks of the page's own content that stick out of the content column, in pixels.
_OVERHANGS = """() => {
  const main = document.querySelector("main");
  const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  return [...main.querySelectorAll("form, fieldset, figure, svg, .table-scroll, h1, h2, p")]
    .map((el) => [el.tagName + "." + el.className, Math.round(el.getBoundingClientRect().right - right)])
    .filter(([, over]) => over > 1);
}"""


def _fits(page: Page, width: int) -> None:
    assert page.evaluate(_OVERHANGS) == []
    if width >= 1280:
        assert _horizontal_overflow(page) == 0


def _horizontal_overflow(page: Page) -> int:
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


@pytest.fixture
def phq9_outcomes(nurse, prescriber, make_patient):
    from django.utils import timezone

    from ketaclinic.scales import services
    from ketaclinic.scales.tests.helpers import answers_for_total

    now = timezone.now()
    for totals in ((20, 15, 9, 4), (18, 17, 16, 15)):
        patient = make_patient(prescriber)
        for n, total in enumerate(totals):
            services.scale_response_record(
                by=nurse,
                patient=patient,
                code="phq9",
                answers=answers_for_total("phq9", total),
                effective_at=now - datetime.timedelta(days=30 - 7 * n),
            )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_outcomes_page_fits_the_screen_with_its_chart(
    new_page, prescriber, phq9_outcomes, width: int
) -> None:
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), prescriber)
    page.goto("/scales/outcomes/")
    expect(page.locator("svg.trajectory-chart rect.bar").first).to_be_visible()
    expect(page.get_by_role("link", name="Download this table (CSV)")).to_be_visible()
    _fits(page, width)
    page.get_by_label("Treatment started on or after").fill("2024-05-01")
    page.get_by_label("Treatment started on or before").fill("2024-04-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The end of the period cannot be before its start.")).to_be_visible()
    _fits(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_add_staff_page_shows_every_error_and_fits_the_screen(
    new_page, clinic_admin, width: int
) -> None:
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), clinic_admin)
    page.goto("/account/staff/add/")
    page.get_by_label("Username").fill("rowan hale!")
    page.get_by_label("Temporary password").fill("rowanrowan")
    page.get_by_label("Your password").fill("not-checked-yet-0")
    page.get_by_label("Your 6-digit code").fill("123456")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Choose a role:").first).to_be_visible()
    expect(page.get_by_text("Enter a valid username").first).to_be_visible()
    expect(page.get_by_text("too short").first).to_be_visible()
    _fits(page, width)
