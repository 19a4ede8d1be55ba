"""Ledger objects for tests outside this app (the access-control fillers)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from ketaclinic.testing import PASSWORD


def stock_objects(clinic: Any, prescriber: Any) -> dict[str, Any]:
    """A clinic's ledger for the access-control walk: a received vial (witnessed by
    ``prescriber``), a count with a discrepancy, an inventory report."""
    from decimal import Decimal

    from ketaclinic.accounts.permissions import Role
    from ketaclinic.inventory import services as stock
    from ketaclinic.inventory.models import CountKind, InventoryKind, LedgerEntry, LossKind, TakenAt
    from ketaclinic.testing import make_member, totp_code

    manager = make_member(clinic, "north-stock", Role.INVENTORY_MANAGER)
    products = stock.catalogue_install(by=manager)
    location = stock.location_create(by=manager, name="North safe", serves_sessions=True)
    today = timezone.localdate(timezone.now(), clinic.tzinfo)
    receipt = stock.receipt_record(
        by=manager,
        product=products[0],
        location=location,
        supplier_name="Example Distribution",
        supplier_address="1 Supply Road, Albany, NY",
        supplier_dea_number="RB1234563",
        invoice_number="INV-N1",
        received_on=today,
        lot_number="N-LOT",
        expiry_date=today + datetime.timedelta(days=300),
        container_count=1,
        witness=stock.WitnessSignOff(
            prescriber.user.username, PASSWORD, totp_code(prescriber.user)
        ),
    )
    container = receipt.containers.get()
    count = stock.count_record(
        by=manager, location=location, kind=CountKind.DAILY, counted={container.pk: Decimal(490)}
    )
    loss = stock.loss_record(
        by=manager,
        container=container,
        amount=Decimal(1),
        kind=LossKind.BREAKAGE,
        discovered_on=today,
        note="Vial cracked in the safe, witnessed.",
    )
    made = {
        "loss_report": loss,
        "container": container,
        "entry": LedgerEntry.objects.get(container=container, kind="receipt"),
        "location": location,
        "count": count,
        "line": count.lines.get(),
        "inventory": stock.inventory_take(
            by=manager, kind=InventoryKind.INITIAL, time_of_day=TakenAt.OPENING
        ),
    }
    return made
