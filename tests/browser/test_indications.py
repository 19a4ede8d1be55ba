"""Issue 16 in a real browser: a PTSD patient is enrolled on the IV racemic PTSD protocol, dosed
at 0.5 mg/kg (35 mg at 70 kg), rates the PCL-5 before the infusion, and the patient's chart
shows the 10-point fall as a response, with the rule in words beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def _checklist(page: Page) -> None:
    page.get_by_label("Fasting: no food for 2 h, no liquids for 30 min").check()
    page.get_by_label("Ride home confirmed").check()
    page.get_by_label("Today's rating scales reviewed").check()
    page.get_by_label("Systolic (mmHg)").fill("124")
    page.get_by_label("Diastolic (mmHg)").fill("78")
    page.get_by_label("Heart rate (/min)").fill("76")
    page.get_by_label("SpO2 (%)").fill("98")
    page.get_by_label("Respiratory rate (breaths/min)").fill("16")
    page.get_by_label("MOAA/S (0-5)").fill("5")
    page.get_by_role("button", name="Record checklist").click()


def _baseline(prescriber: Any, patient: Any) -> None:
    """Before the course: a PCL-5 of 52 two weeks ago (the baseline), and today's PHQ-9 and
    C-SSRS screen at their lowest answers (no flag)."""
    from ketaclinic.scales import get_definition
    from ketaclinic.scales.services import scale_response_record

    scale_response_record(
        by=prescriber,
        patient=patient,
        code="pcl5",
        answers=[3] * 12 + [2] * 8,  # 36 + 16 = 52
        effective_at=timezone.now() - dt.timedelta(days=14),
    )
    for code in ("phq9", "cssrs_screener"):
        items = get_definition(code).items
        scale_response_record(
            by=prescriber,
            patient=patient,
            code=code,
            answers=[None if item.asked_when else item.min for item in items],
            effective_at=timezone.now() - dt.timedelta(minutes=30),
        )


def test_a_ptsd_patient_is_enrolled_dosed_rates_the_pcl5_and_the_chart_shows_a_response(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    from ketaclinic.treatment.models import TreatmentSession

    version = testing.shipped_protocol(clinic_admin, "iv_racemic_ptsd")
    patient = make_patient(prescriber, given_name="Jordan", family_name="Traumacare")
    testing.weigh(prescriber, patient, "70", days_ago=3)
    testing.clear_for_course(prescriber, patient, version)
    _baseline(prescriber, patient)

    # The prescriber enrols the patient on the PTSD protocol (phone-sized screen).
    doctor = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), prescriber)
    doctor.goto(f"/treatment/patients/{patient.pk}/enrol/")
    expect(doctor.get_by_label("Protocol:", exact=True)).to_contain_text("PTSD")
    doctor.get_by_label("Prescriber's decision to treat").fill(
        "Chronic PTSD, two adequate SSRI trials; consented to off-label ketamine."
    )
    doctor.get_by_role("button", name="Enrol").click()
    expect(doctor.get_by_text("Enrolled; the session calendar is below.")).to_be_visible()
    session = (
        TreatmentSession.objects.filter(patient=patient).order_by("number").select_related().first()
    )
    assert session is not None
    assert session.course.sessions.count() == 6  # six infusions over two weeks (Feder 2021)
    # Set-up no service produces: the first session due now, whatever today's weekday.
    TreatmentSession.objects.filter(pk=session.pk).update(scheduled_at=timezone.now())

    # At the chair the nurse has the patient rate the PCL-5 before the infusion: 40 (all 2s).
    chair = sign_in_through_ui(new_page(), nurse)
    chair.goto(f"/scales/patients/{patient.pk}/enter/?code=pcl5")
    for item in range(1, 21):
        chair.locator(f'input[name="item_{item}"][value="2"]').check()
    chair.get_by_role("button", name="Save").click()
    expect(chair.get_by_text("total 40")).to_be_visible()

    # Check-in, checklist, and the 0.5 mg/kg infusion: 35 mg at 70 kg.
    url = f"/treatment/sessions/{session.pk}/"
    chair.goto(url)
    chair.get_by_role("button", name="Check in").click()
    _checklist(chair)
    expect(chair.locator("#blockers")).to_contain_text("Cleared to dose")
    chair.get_by_label("Stock concentration (mg/mL)").fill("10")
    chair.get_by_label("Prepared in").select_option("syringe")
    chair.get_by_label("Final concentration (mg/mL)").fill("1")
    chair.get_by_label("Product").fill("Ketamine HCl 10 mg/mL")
    chair.get_by_label("Lot number").fill("PTSD-7")
    chair.get_by_label("Expiry date").fill(
        (timezone.now() + dt.timedelta(days=90)).date().isoformat()
    )
    chair.get_by_role("button", name="Calculate").click()
    expect(chair.locator("#dose-preview")).to_contain_text("35 mg")
    chair.get_by_role("button", name="Record dose").click()
    expect(chair.locator("#dose")).to_contain_text("35 mg")
    expect(chair.locator("#dose")).to_contain_text("0.5 mg/kg")

    # The patient's chart: PCL-5 52 -> 40 is a 12-point fall, a response under the PTSD rule.
    chair.goto(f"/patients/{patient.pk}/")
    pcl5 = chair.locator("article.trajectory", has=chair.locator("#traj-pcl5"))
    expect(pcl5).to_contain_text("Baseline52")
    expect(pcl5.locator(".tag.response")).to_have_text("Response")
    expect(pcl5).to_contain_text("response: a fall of 10 points or more; no remission rule")
    expect(pcl5.locator("svg.trajectory-chart circle.point")).to_have_count(2)
    expect(pcl5.locator("svg.trajectory-chart line.session-mark")).to_have_count(1)


@pytest.fixture
def long_sessions(settings: Any) -> None:
    day = 24 * 3600
    settings.SESSION_COOKIE_AGE = day
    settings.SESSION_IDLE_SECONDS = day
    settings.SESSION_ABSOLUTE_SECONDS = day


def test_intranasal_racemic_sprays_are_timed_one_by_one_on_a_phone(
    new_page: Any,
    nurse: Any,
    prescriber: Any,
    clinic_admin: Any,
    make_patient: Any,
    long_sessions: None,
) -> None:
    import time_machine

    version = testing.shipped_protocol(clinic_admin, "in_racemic_depression")
    patient = make_patient(prescriber, given_name="Casey", family_name="Nasalspray")
    testing.weigh(prescriber, patient, "70", days_ago=3)
    session = testing.session_now(prescriber=prescriber, patient=patient, version=version)
    testing.answer_pre_session_scales(prescriber, session)
    clinic = nurse.clinic
    url = f"/treatment/sessions/{session.pk}/"
    with time_machine.travel(timezone.now(), tick=True) as clock:
        chair = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), nurse)
        chair.goto(url)
        chair.get_by_role("button", name="Check in").click()
        _checklist(chair)
        expect(chair.locator("#blockers")).to_contain_text("Cleared to dose")
        expect(chair.get_by_role("button", name="Calculate")).to_have_count(0)
        expect(chair.locator("select[name=dose_mg]")).to_contain_text("50 mg (5 sprays)")
        start = (timezone.now() + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        clock.shift(dt.timedelta(minutes=23))
        chair.goto(url)
        for i in range(5):
            when = (start + dt.timedelta(minutes=5 * i)).astimezone(clinic.tzinfo)
            chair.get_by_label(f"Spray {i + 1} given at").fill(when.strftime("%Y-%m-%dT%H:%M"))
        chair.get_by_label("Product").fill("Ketamine HCl 100 mg/mL nasal solution")
        chair.get_by_label("Lot number").fill("IN-9")
        chair.get_by_label("Expiry date").fill(
            (timezone.now() + dt.timedelta(days=60)).date().isoformat()
        )
        chair.get_by_role("button", name="Record dose").click()
        dose = chair.locator("#dose")
        expect(dose).to_contain_text("50 mg")
        expect(dose).to_contain_text("Sprays")
        expect(dose).to_contain_text("5 \u00d7 10 mg")
        # The dose and its five spray times fit the phone's width. (The main navigation and the
        # observations table overflow at 390 px on every session page: base.html and the
        # session template are not this change's; reported to the lead.)
        right = chair.evaluate("document.querySelector('#dose').getBoundingClientRect().right")
        assert right <= 390
