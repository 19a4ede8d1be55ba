"""The researcher's cohort page on a phone (390 px) and a desktop (1280 px): filters, tables and
facts fit without sideways scrolling, and the home page leads there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_cohort_page_fits_and_is_reached_from_home(
    new_page, researcher, prescriber, clinic_admin, make_patient, width
):
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    patient = make_patient(prescriber, mrn="C1", family_name="Cohortson")
    testing.weigh(prescriber, patient)
    testing.session_now(prescriber=prescriber, patient=patient, version=version)
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), researcher)
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Cohort analytics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort analytics")
    expect(page.get_by_label("Drug")).to_contain_text("Esketamine")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Adverse events")).to_be_visible()
    assert "Cohortson" not in page.content()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_refresh_now_queues_one_refresh_and_the_page_says_so(new_page, researcher, width):
    from ketaclinic.ops.models import JobRun
    from ketaclinic.research.summary_refresh import REFRESH_JOB

    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), researcher)
    page.goto("/research/?scale=phq9")
    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_role("status").first).to_contain_text("Refresh queued")
    expect(page.get_by_text("A refresh of the figures is queued")).to_be_visible()
    expect(page.get_by_role("button", name="Refresh now")).to_have_count(0)
    assert "scale=phq9" in page.url  # back to the same filters
    assert JobRun.objects.filter(job=REFRESH_JOB, clinic_id=researcher.clinic_id).count() == 1
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
