"""A whole session at the chair in a real browser: esketamine (REMS) and IV racemic ketamine.

The clock is advanced with time-machine in this process, which is also the live server's process
(pytest-django's live_server is a thread), so the server sees 40 and 120 minutes pass. Session
lifetimes are stretched for these tests only so that the jump does not sign anyone out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


@pytest.fixture
def long_sessions(settings: Any) -> None:
    day = 24 * 3600
    settings.SESSION_COOKIE_AGE = day
    settings.SESSION_IDLE_SECONDS = day
    settings.SESSION_ABSOLUTE_SECONDS = day


def _session_today(clinic_admin: Any, prescriber: Any, make_patient: Any, code: str) -> Any:
    from ketaclinic.accounts.services import clinic_update

    # The address printed on the REMS form (clinic_create leaves it empty).
    clinic_update(by=clinic_admin, reason="Test set-up", address="1 North Street, Riverton NY")
    version = testing.shipped_protocol(clinic_admin, code)
    patient = make_patient(prescriber, given_name="Robin", family_name="Chairside")
    testing.weigh(prescriber, patient, "70", days_ago=3)
    session = testing.session_now(
        prescriber=prescriber,
        patient=patient,
        version=version,
        chair="Chair 3",
        decision_note="TRD after two adequate antidepressant trials; consented.",
    )
    # The protocol's pre-session scales, answered before the visit (dosing needs them).
    testing.answer_pre_session_scales(prescriber, session)
    return session


def _local(when: dt.datetime, clinic: Any) -> str:
    return when.astimezone(clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")


def _reading(page: Page, code: str, **values: str) -> None:
    form = page.locator("#observation-form")
    form.get_by_label("Measurement").select_option(code)
    for name, value in values.items():
        form.locator(f'[name="{name}"]').fill(value)
    form.get_by_role("button", name="Record reading").click()


def _checklist(page: Page, systolic: str, diastolic: str, esketamine: bool) -> None:
    page.get_by_label("Fasting: no food for 2 h, no liquids for 30 min").check()
    page.get_by_label("Ride home confirmed").check()
    page.get_by_label("Today's rating scales reviewed").check()
    if esketamine:
        page.get_by_label(
            "Nasal steroid or decongestant at least 1 h before (esketamine)"
        ).select_option("yes")
    page.get_by_label("Systolic (mmHg)").fill(systolic)
    page.get_by_label("Diastolic (mmHg)").fill(diastolic)
    page.get_by_label("Heart rate (/min)").fill("76")
    page.get_by_label("SpO2 (%)").fill("98")
    page.get_by_label("Respiratory rate (breaths/min)").fill("16")
    page.get_by_label("MOAA/S (0-5)").fill("5")
    page.get_by_role("button", name="Record checklist").click()


def test_a_whole_esketamine_session_at_the_chair(
    new_page: Any,
    nurse: Any,
    prescriber: Any,
    clinic_admin: Any,
    make_patient: Any,
    long_sessions: None,
) -> None:
    from ketaclinic.treatment.models import RemsMonitoringForm, TreatmentSession

    session = _session_today(clinic_admin, prescriber, make_patient, "esketamine_trd")
    clinic = nurse.clinic
    url = f"/treatment/sessions/{session.pk}/"
    with time_machine.travel(timezone.now(), tick=True) as clock:
        chair = sign_in_through_ui(new_page(), nurse)
        doctor = sign_in_through_ui(new_page(), prescriber)

        # Check-in, then a checklist with an elevated blood pressure.
        chair.goto(url)
        chair.get_by_role("button", name="Check in").click()
        expect(chair.locator("#phase")).to_contain_text("Checked in")
        _checklist(chair, "152", "96", esketamine=True)
        expect(chair.locator("#blockers")).to_contain_text("152/96 mmHg is above")

        # The prescriber approves dosing with a reason.
        doctor.goto(url)
        doctor.get_by_label("Prescriber's reason").fill(
            "Usual baseline for this patient; benefit outweighs a transient rise."
        )
        doctor.get_by_role("button", name="Record decision").click()
        expect(doctor.locator("#blockers")).to_contain_text("Cleared to dose")

        # Two devices, 56 mg, five minutes apart.
        start = (timezone.now() + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        clock.shift(dt.timedelta(minutes=7))
        chair.goto(url)
        chair.locator("select[name=dose_mg]").select_option("56")
        chair.get_by_label("Device 1 given at").fill(_local(start, clinic))
        chair.get_by_label("Device 2 given at").fill(
            _local(start + dt.timedelta(minutes=5), clinic)
        )
        chair.get_by_label("Product").fill("SPRAVATO 56 mg kit")
        chair.get_by_label("Lot number").fill("LOT-A1")
        chair.get_by_label("Expiry date").fill(
            (timezone.now() + dt.timedelta(days=300)).date().isoformat()
        )
        # The prescriber witnesses at the chair: their own username, password and code.
        chair.get_by_label("Witness username").fill(prescriber.user.username)
        chair.get_by_label("Witness password").fill("not-the-password")
        chair.get_by_label("Witness 6-digit code").fill(testing.totp_code(prescriber.user))
        chair.get_by_role("button", name="Record dose").click()
        expect(chair.locator(".form-errors, .errorlist").first).to_contain_text(
            "witness could not be confirmed"
        )
        chair.get_by_label("Witness password").fill(testing.PASSWORD)
        chair.get_by_label("Witness 6-digit code").fill(testing.totp_code(prescriber.user))
        chair.get_by_role("button", name="Record dose").click()
        expect(chair.locator("#dose")).to_contain_text("56 mg")
        expect(chair.locator("#dose")).to_contain_text("2 \u00d7 28 mg")
        expect(chair.locator("#dose-witness")).to_contain_text(prescriber.user.display_name)
        expect(chair.locator("#dose-witness")).to_contain_text("Witness: I witnessed this")

        # Vitals at 0 minutes (taken at the first device).
        _reading(chair, "blood_pressure", systolic_mmhg="150", diastolic_mmhg="94")
        expect(chair.locator("#observations")).to_contain_text("150/94 mmHg")

        # 40 minutes: blood pressure, SpO2, CADSS and a MOAA/S drop that raises an alert.
        clock.shift(start + dt.timedelta(minutes=40) - timezone.now())
        chair.goto(url)
        _reading(chair, "blood_pressure", systolic_mmhg="158", diastolic_mmhg="98")
        _reading(chair, "spo2", value="97")
        _reading(chair, "respiratory_rate", value="14")
        _reading(chair, "cadss", value="6")
        _reading(chair, "moaa_s", value="3")
        expect(chair.locator(".messages")).to_contain_text("MOAA/S 3, down from 5")
        expect(chair.locator(".alert-item")).to_contain_text("sedation")
        chair.goto("/treatment/board/")
        expect(chair.locator(f'tr[data-session="{session.pk}"] .badge')).to_have_text("1")

        # Discharge is refused before 120 minutes.
        chair.goto(url)
        chair.get_by_label("Escort or ride home").fill("Partner, by car")
        chair.get_by_role("button", name="Discharge").click()
        expect(chair.locator(".messages")).to_contain_text("Observation time not reached")

        # The prescriber reviews the sedation alert; sedation resolves; checks before discharge.
        doctor.goto(url)
        doctor.get_by_role("link", name="Review and acknowledge").first.click()
        doctor.get_by_label("Note").fill("Sedation resolved with observation; airway fine.")
        doctor.get_by_role("button", name="Acknowledge").click()
        clock.shift(start + dt.timedelta(minutes=110) - timezone.now())
        chair.goto(url)
        _reading(chair, "blood_pressure", systolic_mmhg="136", diastolic_mmhg="86")
        _reading(chair, "spo2", value="98")
        _reading(chair, "respiratory_rate", value="16")
        _reading(chair, "moaa_s", value="5")
        _reading(chair, "cadss", value="0")

        # 121 minutes: discharge is allowed.
        clock.shift(start + dt.timedelta(minutes=121) - timezone.now())
        chair.goto(url)
        for box in chair.locator('input[name="criteria"]').all():
            box.check()
        chair.get_by_label("Escort or ride home").fill("Partner, by car")
        chair.get_by_label(
            "REMS: minutes until the patient would have been ready without the 2-hour rule"
        ).fill("60")
        chair.get_by_label("Monitoring HCP phone").fill("555-0100")
        chair.get_by_label("Monitoring HCP email").fill("sam@north.example")
        chair.get_by_role("button", name="Discharge").click()
        expect(chair.locator("#discharged")).to_contain_text("Partner, by car")
        # What no record answers on the REMS form, the nurse answers.
        chair.get_by_label("Patient enrolled in the REMS").select_option("yes")
        chair.get_by_label(
            "Takes other drugs causing sedation, respiratory depression or blood-pressure change"
        ).select_option("no")
        chair.get_by_role("button", name="Save REMS fields").click()
        expect(chair.locator("#pmf-missing")).to_have_count(0)

        # The prescriber signs: password and code again; printed name, time and meaning shown.
        doctor.goto(url)
        expect(doctor.get_by_text(f"Signing as {prescriber.user.display_name}")).to_be_visible()
        doctor.get_by_label("Password").fill(testing.PASSWORD)
        doctor.get_by_label("6-digit code").fill(testing.totp_code(prescriber.user))
        doctor.get_by_role("button", name="Sign and lock").click()
        signature = doctor.locator("#signature")
        expect(signature).to_contain_text(prescriber.user.display_name)
        expect(signature).to_contain_text("Responsibility")
        expect(signature).to_contain_text("The record matches what was signed")

        # The REMS form is produced, printable and as JSON.
        form = RemsMonitoringForm.objects.get(session=session)
        doctor.goto(f"/treatment/rems/{form.pk}/")
        expect(doctor.locator(".pmf-fields")).to_contain_text("LOT-A1")
        expect(doctor.locator(".pmf-fields")).to_contain_text("Robin Chairside")
        data = doctor.request.get(f"/treatment/rems/{form.pk}/json/").json()
        assert data["missing_required_fields"] == []
        assert data["fields"]["dose"] == "56"
        assert data["fields"]["total_monitoring_minutes"] >= 120
        assert data["fields"]["bp_at_40_min_systolic_mmhg"] == 158
        assert data["fields"]["sedation_observed"] is True
    assert TreatmentSession.objects.get(pk=session.pk).signed_at is not None


def test_an_iv_racemic_session_shows_the_infusion_rate_in_ml_per_hour(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    session = _session_today(clinic_admin, prescriber, make_patient, "iv_racemic_depression")
    url = f"/treatment/sessions/{session.pk}/"
    chair = sign_in_through_ui(new_page(), nurse)
    chair.goto(url)
    chair.get_by_role("button", name="Check in").click()
    _checklist(chair, "124", "78", esketamine=False)
    expect(chair.locator("#blockers")).to_contain_text("Cleared to dose")
    chair.get_by_label("Stock concentration (mg/mL)").fill("10")
    chair.get_by_label("Prepared in").select_option("syringe")
    chair.get_by_label("Final concentration (mg/mL)").fill("1")
    chair.get_by_label("Product").fill("Ketamine HCl 10 mg/mL")
    chair.get_by_label("Lot number").fill("K-77")
    chair.get_by_label("Expiry date").fill(
        (timezone.now() + dt.timedelta(days=90)).date().isoformat()
    )
    chair.get_by_role("button", name="Calculate").click()
    preview = chair.locator("#dose-preview")
    expect(preview).to_contain_text("35 mg")  # 0.5 mg/kg x 70 kg
    expect(preview).to_contain_text("3.5 mL")  # of the 10 mg/mL stock
    expect(preview).to_contain_text("Syringe: 35 mL at 1 mg/mL")
    # The pump runs the 35 mL syringe over 40 min: 52.5 mL/h, never the undiluted stock.
    expect(preview).to_contain_text("52.5 mL/h (52.5 mg/h) over 40 min")
    expect(preview).to_contain_text("decision support: check before use")
    chair.get_by_role("button", name="Record dose").click()
    dose = chair.locator("#dose")
    expect(dose).to_contain_text("0.5 mg/kg")
    expect(dose).to_contain_text("52.5 mL/h (52.5 mg/h) over 40 min")
    _reading(chair, "blood_pressure", systolic_mmhg="130", diastolic_mmhg="82")
    expect(chair.locator("#observations")).to_contain_text("130/82 mmHg")
    expect(chair.locator("#phase")).to_contain_text("Dosing")
