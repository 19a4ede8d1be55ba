"""Receiving stock (21 CFR 1304.22(c)): the supplier's name, address and DEA number, the invoice,
NDC, lot, expiry and containers; who received it and who witnessed it. One receipt entry per
container, so that each vial's stock is followed from the day it arrived."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.inventory.domain.quantities import MAX_CONTAINERS_PER_RECEIPT, EntryKind
from ketaclinic.inventory.models import Container, Location, Product, Receipt
from ketaclinic.inventory.services._common import (
    append_entry,
    lock_head,
    require,
    same_clinic,
    text,
)
from ketaclinic.inventory.services.witness import (
    WitnessSignOff,
    with_witness_refusal,
    witness_confirm,
)
from ketaclinic.lib.dea import dea_number_problem

MAX_SHELF_LIFE = dt.timedelta(days=5 * 366)


def receipt_record(
    *,
    by: Membership,
    product: Product,
    location: Location,
    supplier_name: str,
    supplier_address: str,
    supplier_dea_number: str,
    invoice_number: str,
    received_on: dt.date,
    lot_number: str,
    expiry_date: dt.date,
    container_count: int,
    witness: WitnessSignOff | None,
) -> Receipt:
    """Receive ``container_count`` full containers of one lot. The witness re-authenticates."""
    done: Receipt = with_witness_refusal(
        by,
        "stock_receipt",
        lambda: _receipt_record(
            by=by,
            product=product,
            location=location,
            supplier_name=supplier_name,
            supplier_address=supplier_address,
            supplier_dea_number=supplier_dea_number,
            invoice_number=invoice_number,
            received_on=received_on,
            lot_number=lot_number,
            expiry_date=expiry_date,
            container_count=container_count,
            witness=witness,
        ),
    )
    return done


def _next_label(clinic_id: int, product: Product) -> str:
    prefix = "S" if product.unit == "device" else "K"
    count = Container.objects.filter(clinic_id=clinic_id).count()
    return f"{prefix}-{count + 1:05d}"


@transaction.atomic
def _receipt_record(
    *,
    by: Membership,
    product: Product,
    location: Location,
    supplier_name: str,
    supplier_address: str,
    supplier_dea_number: str,
    invoice_number: str,
    received_on: dt.date,
    lot_number: str,
    expiry_date: dt.date,
    container_count: int,
    witness: WitnessSignOff | None,
) -> Receipt:
    require(by, Perm.STOCK_HANDLE)
    same_clinic(by, location)
    errors: dict[str, str] = {}
    dea = supplier_dea_number.strip().upper()
    problem = dea_number_problem(dea)
    if problem:
        errors["supplier_dea_number"] = f"The supplier's DEA number {problem}."
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    if received_on > today:
        errors["received_on"] = "The delivery date is in the future."
    elif received_on < today - dt.timedelta(days=7):
        errors["received_on"] = "A delivery more than 7 days ago needs the inventory manager."
    if expiry_date <= received_on:
        errors["expiry_date"] = "This lot had expired when it was received: do not receive it."
    elif expiry_date > received_on + MAX_SHELF_LIFE:
        errors["expiry_date"] = "An expiry more than 5 years ahead is not plausible; check it."
    if not 1 <= container_count <= MAX_CONTAINERS_PER_RECEIPT:
        errors["container_count"] = (
            f"Receive between 1 and {MAX_CONTAINERS_PER_RECEIPT} containers at a time."
        )
    if not location.is_active:
        errors["location"] = "This location is no longer in use."
    if errors:
        raise ValidationError(errors)
    fields = {
        "supplier_name": text(supplier_name, "supplier_name", limit=200),
        "supplier_address": text(supplier_address, "supplier_address", limit=500),
        "invoice_number": text(invoice_number, "invoice_number", limit=64),
        "lot_number": text(lot_number, "lot_number", limit=64),
    }
    # Last check before writing: a form error does not spend the witness's code.
    witnessed_by = witness_confirm(by=by, sign_off=witness)
    lock_head(by.clinic_id)  # container labels are numbered per clinic, one writer at a time
    receipt = Receipt.objects.create(
        clinic_id=by.clinic_id,
        supplier_dea_number=dea,
        received_on=received_on,
        product=product,
        expiry_date=expiry_date,
        container_count=container_count,
        received_by_id=by.user_id,
        witnessed_by_id=witnessed_by.user_id,
        recorded_at=timezone.now(),
        **fields,
    )
    received_at = timezone.now()
    for _ in range(container_count):
        container = Container.objects.create(
            clinic_id=by.clinic_id,
            product=product,
            receipt=receipt,
            label=_next_label(by.clinic_id, product),
            lot_number=receipt.lot_number,
            expiry_date=expiry_date,
            location=location,
        )
        append_entry(
            by=by,
            container=container,
            kind=EntryKind.RECEIPT,
            change=product.full_quantity,
            occurred_at=received_at,
            receipt=receipt,
            witness_id=witnessed_by.user_id,
        )
    audit_record(
        event_type=EventType.STOCK_RECEIVED,
        actor=by,
        obj=receipt,
        extra={
            "ndc": product.ndc,
            "lot": receipt.lot_number,
            "containers": container_count,
            "invoice": receipt.invoice_number,
            "witness_user_id": witnessed_by.user_id,
        },
    )
    return receipt
