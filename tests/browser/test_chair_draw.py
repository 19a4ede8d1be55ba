"""The chair's ledger step in a real browser, on a phone-sized screen: after an IV dose is recorded,
the session page offers "Record the draw from stock"; the nurse picks the vial (the amount given
is filled in from the dose record), records the draw and is back on the session page, where the
link has given way to the ledger entry; the stock page no longer lists the dose as undrawn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic import testing
from ketaclinic.inventory import services
from ketaclinic.inventory.models import LedgerEntry
from ketaclinic.inventory.stock import balances_for
from ketaclinic.treatment import services as treatment
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser

# The right edge of the widest element of the draw form (the site's top navigation is base.html's).
_WIDEST_IN_FORM = """() => Math.max(...[...document.querySelectorAll('#draw-form, #draw-form *')]
    .map(e => e.getBoundingClientRect().right))"""


def test_the_nurse_records_the_draw_from_stock_after_the_dose(
    new_page: Any, nurse: Any, prescriber: Any, inventory_manager: Any, clinic_admin: Any
) -> None:
    safe = services.location_create(by=inventory_manager, name="Main safe", serves_sessions=True)
    products = services.catalogue_install(by=inventory_manager)
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    vial = services.receipt_record(
        by=inventory_manager,
        product=products[0],
        location=safe,
        supplier_name="Example Pharma Distribution",
        supplier_address="1 Supply Road, Albany, NY 12201",
        supplier_dea_number="RB1234563",
        invoice_number="INV-3001",
        received_on=today,
        lot_number="LOT-C3",
        expiry_date=today + dt.timedelta(days=300),
        container_count=1,
        witness=services.WitnessSignOff(
            prescriber.user.username, testing.PASSWORD, testing.totp_code(prescriber.user)
        ),
    ).containers.get()
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    treatment.dose_record(
        by=nurse,
        session=session,
        concentration_mg_per_ml=Decimal(50),
        container="bag",
        final_volume_ml=Decimal(100),
        product="Ketamine HCl 50 mg/mL",
        lot_number="LOT-C3",
        expiry_date=today + dt.timedelta(days=300),
    )

    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), nurse)
    page.goto(reverse("treatment:session", args=[session.pk]))
    page.get_by_role("link", name="Record the draw from stock").click()
    expect(page.get_by_label("Given to the patient (mg)")).to_have_value("35.000")
    expect(page.locator("#id_administered_helptext")).to_contain_text(
        "Filled in from the dose record"
    )
    page.get_by_label("Drawn from (container in stock at this chair)").select_option(
        value=str(vial.pk)
    )
    assert page.evaluate(_WIDEST_IN_FORM) <= 390
    page.get_by_role("button", name="Record the draw").click()
    expect(page.get_by_text("Draw from stock recorded: K-00001")).to_be_visible()
    expect(page.locator("#dose-draw")).to_contain_text("Drawn from stock: container K-00001")
    entry = LedgerEntry.objects.get(kind="administration")
    assert entry.session_id == session.pk and entry.administered == Decimal(35)
    assert balances_for([vial.pk])[vial.pk] == Decimal(465)

    manager = sign_in_through_ui(new_page(), inventory_manager)
    manager.goto("/stock/")
    expect(manager.locator("#undrawn")).to_contain_text("every dose recorded today has its draw")
