"""The demo clinic's controlled-substance ledger: a month of stock movements matching its dosed
sessions (each dose drawn from a vial or an esketamine kit, vial remainders wasted with a
witness), one open count discrepancy and one lot expiring within 30 days.

History cannot be typed in through the services (they refuse entries more than 7 days late and
need the witness to sign on the spot), so the demo writes receipts and containers itself and
appends every entry with the services' own ``append_entry``: one hash chain, one audit event per
entry, the balances checked as always. Idempotent: a clinic whose ledger has entries is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Role
from ketaclinic.inventory import services
from ketaclinic.inventory.domain.quantities import EntryKind
from ketaclinic.inventory.models import (
    Container,
    CountKind,
    LedgerEntry,
    Location,
    Product,
    Receipt,
)
from ketaclinic.inventory.services._common import append_entry, container_balance
from ketaclinic.inventory.stock import containers_in_stock
from ketaclinic.treatment.models import DoseAdministration

SUPPLIER = ("Hudson Valley Medical Supply (demo)", "12 Warehouse Lane, Kingston, NY 12401")
SUPPLIER_DEA = "RH7654324"


def _member(clinic: Clinic, role: Role) -> Membership:
    return Membership.objects.select_related("user", "clinic").get(
        clinic=clinic, role=role, is_active=True
    )


def _receive(
    by: Membership,
    witness: Membership,
    product: Product,
    location: Location,
    *,
    on: dt.datetime,
    lot: str,
    expiry: dt.date,
    count: int,
    invoice: str,
) -> list[Container]:
    receipt = Receipt.objects.create(
        clinic_id=by.clinic_id,
        supplier_name=SUPPLIER[0],
        supplier_address=SUPPLIER[1],
        supplier_dea_number=SUPPLIER_DEA,
        invoice_number=invoice,
        received_on=on.date(),
        product=product,
        lot_number=lot,
        expiry_date=expiry,
        container_count=count,
        received_by_id=by.user_id,
        witnessed_by_id=witness.user_id,
        recorded_at=on,
    )
    made = []
    for _ in range(count):
        n = Container.objects.filter(clinic_id=by.clinic_id).count() + 1
        container = Container.objects.create(
            clinic_id=by.clinic_id,
            product=product,
            receipt=receipt,
            label=f"{'S' if product.unit == 'device' else 'K'}-{n:05d}",
            lot_number=lot,
            expiry_date=expiry,
            location=location,
        )
        append_entry(
            by=by,
            container=container,
            kind=EntryKind.RECEIPT,
            change=product.full_quantity,
            occurred_at=on,
            receipt=receipt,
            witness_id=witness.user_id,
        )
        made.append(container)
    return made


def _next(stock: list[Container], need: Decimal) -> Container | None:
    for c in stock:
        if container_balance(c.pk) >= need:
            return c
    return None


@transaction.atomic
def _seed_clinic(clinic: Clinic, out: Callable[[str], None]) -> None:
    manager = _member(clinic, Role.INVENTORY_MANAGER)
    nurse = _member(clinic, Role.NURSE)
    prescriber = _member(clinic, Role.PRESCRIBER)
    products = {p.ndc: p for p in services.catalogue_install(by=manager)}
    safe = services.location_create(by=manager, name="Main safe", serves_sessions=True)
    services.location_create(by=manager, name="Treatment room cabinet", chairs="Chair 1\nChair 2")
    now = timezone.now()
    start = now - dt.timedelta(days=35)
    today = timezone.localdate(now, clinic.tzinfo)
    vials = _receive(
        nurse, prescriber, products["00000-501-10"], safe,
        on=start, lot="KX24-0917", expiry=today + dt.timedelta(days=300), count=10,
        invoice="HV-20431",
    )  # fmt: skip
    # The expiring lot: 100 mg/mL vials, still sealed, expiring within 30 days.
    _receive(
        nurse, prescriber, products["00000-101-05"], safe,
        on=start + dt.timedelta(days=1), lot="KC23-1102", expiry=today + dt.timedelta(days=18),
        count=2, invoice="HV-20432",
    )  # fmt: skip
    kits = {
        2: _receive(
            nurse, prescriber, products["00000-282-02"], safe,
            on=start, lot="ES24-0311", expiry=today + dt.timedelta(days=400), count=12,
            invoice="HV-20433",
        ),
        3: _receive(
            nurse, prescriber, products["00000-283-03"], safe,
            on=start, lot="ES24-0312", expiry=today + dt.timedelta(days=400), count=12,
            invoice="HV-20434",
        ),
    }  # fmt: skip
    doses = (
        DoseAdministration.objects.filter(session__clinic=clinic, started_at__gte=start)
        .select_related("session")
        .order_by("started_at")
    )
    given = 0
    for dose in doses:
        devices = dose.device_count
        if devices:
            kit = _next(kits.get(devices, kits[2]), Decimal(devices))
            if kit is None:
                continue
            container, drawn = kit, Decimal(devices)
        else:
            drawn = dose.dose_mg
            container = _next(vials, drawn)  # type: ignore[assignment]
            if container is None:
                continue
        append_entry(
            by=nurse,
            container=container,
            kind=EntryKind.ADMINISTRATION,
            change=-drawn,
            occurred_at=dose.started_at,
            field="drawn",
            administered=drawn,
            wasted=Decimal(0),
            patient_id=dose.session.patient_id,
            session=dose.session,
        )
        if container.opened_at is None and not devices:
            container.opened_at = dose.started_at
            container.save(update_fields=["opened_at"])
        given += 1
    # End of each dosing day: an opened vial's remainder is wasted with a witness.
    for vial in vials:
        left = container_balance(vial.pk)
        if vial.opened_at and Decimal(0) < left < Decimal(500):
            append_entry(
                by=nurse,
                container=vial,
                kind=EntryKind.WASTE,
                change=-left,
                occurred_at=vial.opened_at + dt.timedelta(hours=8),
                witness_id=prescriber.user_id,
                note="Remainder of an opened vial at close",
            )
    # Today's count of the safe, with one vial 20 mg short: the open discrepancy.
    stock = list(containers_in_stock(clinic_id=clinic.pk, location_id=safe.pk))
    counted = {c.pk: container_balance(c.pk) for c in stock}
    short = next((c for c in stock if c.product.unit == "mg"), None)
    if short is not None:
        counted[short.pk] -= Decimal(20)
    services.count_record(by=nurse, location=safe, kind=CountKind.DAILY, counted=counted)
    out(
        f"Ledger: {LedgerEntry.objects.filter(clinic=clinic).count()} entries "
        f"({given} administrations), one open count discrepancy, one lot expiring in 18 days."
    )


def seed(out: Callable[[str], None]) -> None:
    for clinic in Clinic.objects.filter(code="demo"):
        if LedgerEntry.objects.filter(clinic=clinic).exists():
            continue
        _seed_clinic(clinic, out)
