"""The clinic safety page and a patient's surveillance page on a phone (390 px) and a desktop
(1280 px), in a real browser (issue 11): the overdue item shows, the prescriber records it from
the patient's page, and it leaves the safety page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketaclinic.surveillance.demo import seed_clinic
from tests.browser.conftest import sign_in_through_ui

# What in the page's content sticks out to the right of the viewport; a wide table scrolls inside
# its own box (.table-scroll), as on the outcomes and jobs pages. (The top navigation of
# base.html is left out: at 390 px it is wider than the screen on every page, not this one's.)
_WIDE = """() => [...document.querySelectorAll("main *")]
  .filter((e) => !e.closest(".table-scroll"))
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map((e) => e.tagName + "." + e.className + " " + (e.textContent || "").slice(0, 40))"""

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_an_overdue_review_is_seen_recorded_and_cleared(
    new_page: Any, prescriber: Any, nurse: Any, clinic_admin: Any, width: int
) -> None:
    seed_clinic(prescriber.clinic, lambda _: None)
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 844}), prescriber)

    page.goto("/surveillance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic safety")
    overdue = page.locator("#overdue-items")
    expect(overdue).to_contain_text("Review of benefit")
    assert page.evaluate(_WIDE) == []

    overdue.get_by_role("link", name="Uma Overdue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Long-term safety surveillance")
    expect(page.locator("#due-items")).to_contain_text("Overdue")
    assert page.evaluate(_WIDE) == []

    page.get_by_label("What was done").select_option(label="Review of benefit")
    page.get_by_label("Date done (clinic date)").fill("2999-01-01")
    page.get_by_label("Result").select_option(label="Benefit: continue")
    page.get_by_role("button", name="Record").click()
    expect(
        page.locator(".field").filter(has=page.get_by_label("Date done (clinic date)"))
    ).to_contain_text("cannot be in the future")
    page.get_by_label("Date done (clinic date)").fill(_today(prescriber))
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#records")).to_contain_text("Benefit: continue")

    page.goto("/surveillance/")
    expect(page.locator("#overdue-items")).to_contain_text("Nothing overdue.")


def _today(m: Any) -> str:
    from django.utils import timezone

    return timezone.now().astimezone(m.clinic.tzinfo).date().isoformat()


def test_the_home_page_nav_overflow_is_not_this_pages(new_page: Any, prescriber: Any) -> None:
    """Documents the finding for the lead: the home page at 390 px scrolls sideways as much as the
    safety page, so the overflow comes from base.html's navigation."""
    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), prescriber)
    home = int(page.evaluate("() => document.documentElement.scrollWidth - innerWidth"))
    page.goto("/surveillance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic safety")
    here = int(page.evaluate("() => document.documentElement.scrollWidth - innerWidth"))
    assert here <= home
