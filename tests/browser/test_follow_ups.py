"""Follow-up ratings in a real browser, on a phone-sized screen: eight days after an OCD
patient's infusion, the nurse's home says the one-week Y-BOCS is due, the worklist names the
patient without widening the page, and "Enter now" opens the Y-BOCS for that patient."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser

_WIDTH = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_one_week_ybocs_is_on_the_nurses_home_and_worklist_at_390_px(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any
) -> None:
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_ocd")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    testing.dose_iv_syringe(nurse, session)
    patient = session.patient
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=True):
        page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), nurse)
        page.get_by_role("link", name="Follow-up ratings due: 1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up ratings due")
        row = page.locator("tr.follow-up")
        expect(row).to_contain_text(patient.family_name)
        expect(row).to_contain_text("Y-BOCS")
        expect(row).to_contain_text("Due")
        assert page.evaluate(_WIDTH) <= 0
        # The chart's list too.
        page.goto(f"/patients/{patient.pk}/")
        expect(page.locator("#follow-ups")).to_have_text("Follow-up ratings")
        expect(page.locator("tr.follow-up")).to_contain_text("(Y-BOCS), due")
        assert page.evaluate(_WIDTH) <= 0
        page.locator("tr.follow-up").get_by_role("link", name="Enter now").click()
        expect(page).to_have_url(f"/scales/patients/{patient.pk}/enter/?code=ybocs")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Y-BOCS")
