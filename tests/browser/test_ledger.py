"""The controlled-substance ledger in a real browser (issue 12): a vial received with a witness who
signs on the same screen, a dose drawn for a session, the remainder wasted with a second person who
authenticates again, the daily count with a discrepancy, a theft reported from the container, and
the inventory manager closing the discrepancy and recording the DEA notice."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic import testing
from ketaclinic.accounts.permissions import Role
from ketaclinic.inventory import services
from ketaclinic.inventory.models import Container, LedgerEntry, LossReport
from ketaclinic.inventory.stock import balances_for
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def _witness(page: Any, member: Any) -> None:
    page.get_by_label("Witness: username").fill(member.user.username)
    page.get_by_label("Witness: password").fill(testing.PASSWORD)
    page.get_by_label("Witness: 6-digit code").fill(testing.totp_code(member.user))


def test_receive_draw_waste_count_and_report_a_theft(
    new_page, nurse, prescriber, inventory_manager, clinic_admin, make_patient
) -> None:
    services.catalogue_install(by=inventory_manager)
    services.location_create(by=inventory_manager, name="Main safe", serves_sessions=True)
    # A second nurse witnesses the waste: each person's 6-digit code is accepted once.
    colleague = testing.make_member(nurse.clinic, "nurse-two", Role.NURSE)
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    manager = sign_in_through_ui(new_page(), inventory_manager)
    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), nurse)

    # Receive one 500 mg vial; the prescriber witnesses on the same screen.
    page.goto("/stock/receive/")
    page.get_by_label("Product (NDC)").select_option(
        label="Ketamine HCl injection 50 mg/mL, 10 mL multi-dose vial (NDC 00000-501-10)"
    )
    page.get_by_label("Lot number").fill("LOT-B7")
    page.get_by_label("Expiry date").fill(today.replace(year=today.year + 1).isoformat())
    page.get_by_label("Containers received").fill("1")
    page.get_by_label("Store it in").select_option(label="Main safe")
    page.get_by_label("Supplier name").fill("Example Pharma Distribution")
    page.get_by_label("Supplier address").fill("1 Supply Road, Albany, NY 12201")
    page.get_by_label("Supplier DEA number").fill("RB1234563")
    page.get_by_label("Invoice number").fill("INV-2201")
    page.get_by_label("Date received").fill(today.isoformat())
    _witness(page, prescriber)
    page.get_by_role("button", name="Record the receipt").click()
    expect(page.get_by_text("Received 1 container(s): K-00001.")).to_be_visible()
    row = page.locator("#stock tr[data-container='K-00001']")
    expect(row.locator(".balance")).to_contain_text("500 mg")

    # A dose of 35 mg drawn for a session (the chair's dose form calls this service).
    vial = Container.objects.get(label="K-00001")
    iv = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    patient = make_patient(prescriber)
    testing.weigh(prescriber, patient)
    session = testing.session_now(prescriber=prescriber, patient=patient, version=iv)
    services.administration_record(
        by=nurse, session=session, container=vial, drawn=Decimal(35), administered=Decimal(35)
    )

    # Waste 15 mg of the remainder; a wrong code first: refused, nothing recorded.
    page.goto(f"/stock/containers/{vial.pk}/")
    expect(page.locator("#balance")).to_have_text("465 mg")
    page.get_by_label("Amount wasted").fill("15")
    page.get_by_label("Witness: username").fill(colleague.user.username)
    page.get_by_label("Witness: password").fill(testing.PASSWORD)
    page.get_by_label("Witness: 6-digit code").fill("000000")
    page.get_by_role("button", name="Record the waste").click()
    expect(page.get_by_text("The witness could not be confirmed")).to_be_visible()
    assert not LedgerEntry.objects.filter(kind="waste").exists()
    page.get_by_label("Witness: password").fill(testing.PASSWORD)
    page.get_by_label("Witness: 6-digit code").fill(testing.totp_code(colleague.user))
    page.get_by_role("button", name="Record the waste").click()
    expect(page.locator("#balance")).to_have_text("450 mg")
    expect(page.locator("#container-entries")).to_contain_text(
        f"witness {colleague.user.display_name}"
    )

    # The daily count finds 440 mg where the ledger holds 450.
    page.goto("/stock/")
    page.get_by_role("link", name="Count Main safe").click()
    page.locator("#id_kind").select_option(label="Daily count")
    page.get_by_label(re.compile("^K-00001")).fill("440")
    page.get_by_role("button", name="Record the count").click()
    lines = page.locator("#count-lines")
    expect(lines).to_contain_text("Discrepancy: -10")
    expect(lines).to_contain_text("The inventory manager investigates")
    count_url = page.url

    # The missing 10 mg is reported as a theft from the container's page.
    page.goto(f"/stock/containers/{vial.pk}/")
    page.get_by_role("link", name="Report a loss or theft").click()
    page.get_by_label("What happened").select_option(label="Theft")
    page.get_by_label("Amount lost (mg)").fill("10")
    page.get_by_label("Date found").fill(today.isoformat())
    page.get_by_label("What was found, by whom, what was done").fill(
        "10 mg missing at the daily count; safe log checked; manager told."
    )
    page.get_by_role("button", name="Record it").click()
    expect(page.locator("#form-106")).to_contain_text("Due")
    report = LossReport.objects.get()
    assert balances_for([vial.pk])[vial.pk] == Decimal(440)

    # The inventory manager closes the discrepancy and records the notice to the DEA.
    manager.goto(count_url)
    manager.get_by_label("What the investigation found").fill(
        "Theft of 10 mg, reported to the DEA (loss report)."
    )
    manager.get_by_label(re.compile("Recorded as a loss or theft")).check()
    manager.get_by_role("button", name="Resolve").click()
    expect(manager.locator("#count-lines")).to_contain_text("the ledger stands")
    manager.goto(f"/stock/losses/{report.pk}/")
    manager.get_by_label("Written notice to the DEA Field Division sent on").fill(today.isoformat())
    manager.get_by_role("button", name="Record the dates").click()
    expect(manager.locator("#notice")).to_have_text(f"Sent {today.isoformat()}")
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 0
