"""Safety at the chair in a real browser (issue 9): a hypertensive crisis reaches the chair
board, discharge waits for SpO2 to return to its pre-dose value, and the REMS form cannot be
marked submitted while a measured answer is blank."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def _esketamine_session(clinic_admin: Any, nurse: Any, prescriber: Any, **kwargs: Any) -> Any:
    from ketaclinic.accounts.services import clinic_update

    clinic_update(by=clinic_admin, reason="Test set-up", address="1 North Street, Riverton NY")
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    return testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version, **kwargs)


def _dose(nurse: Any, session: Any, minutes_ago: int) -> None:
    from ketaclinic.treatment import services

    first = timezone.now() - dt.timedelta(minutes=minutes_ago + 5)  # the second device now
    services.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal("56"),
        product="SPRAVATO 56 mg kit",
        lot_number="LOT-B2",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first, first + dt.timedelta(minutes=5)],
    )


def _readings(nurse: Any, session: Any, *, spo2: int) -> None:
    """The readings at 40 minutes (all back to pre-dose), then the checks before discharge now
    with the given SpO2."""
    from ketaclinic.treatment import services

    session.refresh_from_db()
    at_40 = session.dose_started_at + dt.timedelta(minutes=40)
    for when, sat in ((at_40, 98), (timezone.now(), spo2)):
        for code, value in (("spo2", sat), ("respiratory_rate", 16), ("moaa_s", 5), ("cadss", 0)):
            services.observation_record(
                by=nurse, session=session, code=code, value=value, measured_at=when
            )
        services.observation_record(
            by=nurse,
            session=session,
            code="blood_pressure",
            systolic_mmhg=128,
            diastolic_mmhg=80,
            measured_at=when,
        )


def test_a_189_over_119_reading_raises_a_critical_alert_on_the_board(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any
) -> None:
    from ketaclinic.alerts.models import Alert
    from ketaclinic.treatment import selectors, services

    session = _esketamine_session(
        clinic_admin, nurse, prescriber, systolic=150, diastolic=95, vitals_minutes_ago=40
    )
    # The decision comes before the first device 35 minutes ago (treatment/domain/timing.py).
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=37)):
        for pending in selectors.pending_decisions(session):  # 150/95 is above 140/90
            services.prescriber_decision_record(
                by=prescriber,
                session=session,
                kind=pending.kind,
                subject=pending.subject,
                outcome="proceed",
                reason="Usual baseline for this patient.",
            )
    _dose(nurse, session, minutes_ago=30)
    chair = sign_in_through_ui(new_page(), nurse)
    chair.goto(f"/treatment/sessions/{session.pk}/")
    form = chair.locator("#observation-form")
    form.get_by_label("Measurement").select_option("blood_pressure")
    form.locator('[name="systolic_mmhg"]').fill("189")
    form.locator('[name="diastolic_mmhg"]').fill("119")
    form.get_by_role("button", name="Record reading").click()
    # A rise of 39/24 from 150/95 stays under the rise rule; the crisis rule catches it.
    expect(chair.locator(".alert-item.critical").first).to_contain_text("hypertensive crisis")
    (alert,) = Alert.objects.filter(patient=session.patient, kind="hypertensive_crisis")
    assert alert.severity == "critical"
    chair.goto("/treatment/board/")
    row = chair.locator(f'tr[data-session="{session.pk}"]')
    expect(row.locator(".critical-alert")).to_contain_text("Hypertensive crisis")


def test_discharge_is_refused_while_spo2_is_below_its_pre_dose_value(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = settings.SESSION_IDLE_SECONDS = 24 * 3600
    settings.SESSION_ABSOLUTE_SECONDS = 24 * 3600
    with time_machine.travel(timezone.now(), tick=True) as clock:
        session = _esketamine_session(clinic_admin, nurse, prescriber, vitals_minutes_ago=0)
        clock.shift(dt.timedelta(minutes=10))
        _dose(nurse, session, minutes_ago=0)
        clock.shift(dt.timedelta(minutes=125))
        _readings(nurse, session, spo2=95)  # pre-dose 98 %
        url = f"/treatment/sessions/{session.pk}/"
        chair = sign_in_through_ui(new_page(), nurse)
        chair.goto(url)
        spo2_row = chair.locator("#discharge-checks tr").filter(has_text="SpO2 back")
        expect(spo2_row).to_contain_text("Latest SpO2 95 % is below pre-dose 98 %")
        for box in chair.locator('input[name="criteria"]').all():
            box.check()
        chair.get_by_label("Escort or ride home").fill("Partner, by car")
        chair.get_by_label("Monitoring HCP phone").fill("555-0100")
        chair.get_by_role("button", name="Discharge").click()
        expect(chair.locator(".messages")).to_contain_text("below pre-dose 98 %")
        expect(chair.locator("#discharged")).to_have_count(0)

        form = chair.locator("#observation-form")
        form.get_by_label("Measurement").select_option("spo2")
        form.locator('[name="value"]').fill("98")
        form.get_by_role("button", name="Record reading").click()
        chair.goto(url)
        expect(spo2_row).to_contain_text("Latest SpO2 98 %, pre-dose 98 %")
        for box in chair.locator('input[name="criteria"]').all():
            box.check()
        chair.get_by_label("Escort or ride home").fill("Partner, by car")
        chair.get_by_label("Monitoring HCP phone").fill("555-0100")
        chair.get_by_role("button", name="Discharge").click()
        expect(chair.locator("#discharged")).to_contain_text("Partner, by car")


def test_the_rems_form_blocks_submission_while_a_measured_answer_is_blank(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any, settings: Any
) -> None:
    from ketaclinic.treatment import services
    from ketaclinic.treatment.models import RemsMonitoringForm

    with time_machine.travel(timezone.now(), tick=True) as clock:
        session = _esketamine_session(clinic_admin, nurse, prescriber, vitals_minutes_ago=0)
        clock.shift(dt.timedelta(minutes=10))
        _dose(nurse, session, minutes_ago=0)
        clock.shift(dt.timedelta(minutes=125))
        _readings(nurse, session, spo2=98)
        services.session_discharge(
            by=nurse,
            session=session,
            criteria_met=[c.code for c in session.protocol_version.protocol.discharge_criteria],
            escort="Partner, by car",
            minutes_until_ready_without_rule=60,
            hcp_phone="555-0100",
        )
    form = RemsMonitoringForm.objects.get(session=session)
    assert form.data["respiratory_status_monitored"] is True
    assert "Reading" in form.sources["lowest_spo2_percent"]
    # A form whose respiratory monitoring was never recorded (as on a form filled before every
    # session counted a respiratory rate): the answer is blank, not "No".
    data = {**form.data, "respiratory_status_monitored": None}
    sources = {k: v for k, v in form.sources.items() if k != "respiratory_status_monitored"}
    RemsMonitoringForm.objects.filter(pk=form.pk).update(data=data, sources=sources)

    page = sign_in_through_ui(new_page(), prescriber)
    page.goto(f"/treatment/rems/{form.pk}/")
    row = page.locator(".pmf-fields tr").filter(has_text="Respiratory status monitored")
    expect(row.locator("td").first).to_have_text("Not answered")
    lowest = page.locator(".pmf-fields tr").filter(has_text="Lowest SpO2")
    expect(lowest).to_contain_text("Filled by the system from: Reading: SpO2 98")
    expect(lowest).to_contain_text("decision support: check before use")
    expect(page.locator("#pmf-missing")).to_contain_text("Respiratory status monitored")
    page.get_by_label("Confirmation number").fill("RX-1234")
    page.get_by_role("button", name="Mark submitted").click()
    expect(page.locator(".messages")).to_contain_text(
        "cannot be marked submitted while a required field is empty"
    )
    assert RemsMonitoringForm.objects.get(pk=form.pk).submitted_at is None
