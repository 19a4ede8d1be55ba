"""Stock leaving the registration: a transfer to another DEA registrant (a return to the supplier,
a reverse distributor, another practice). 21 CFR 1304.22(c) wants the units disposed of with the
date and manner; for a Schedule III transfer the invoice or packing slip names the recipient's name,
address and DEA number (1307.11 and 1304.22(c), federal wording **unverified** in
shared/domain/regulatory.md), so the entry carries them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory.domain.quantities import EntryKind
from ketaclinic.inventory.models import Container, LedgerEntry
from ketaclinic.inventory.services._common import (
    append_entry,
    container_balance,
    lock_head,
    require,
    same_clinic,
    text,
)
from ketaclinic.lib.dea import dea_number_problem

# A shipment is recorded on the day it leaves or within this many days of it.
MAX_LATE_DAYS = 7


@transaction.atomic
def registrant_transfer_record(
    *,
    by: Membership,
    container: Container,
    recipient_name: str,
    recipient_address: str,
    recipient_dea_number: str,
    document_number: str,
    shipped_on: dt.date,
) -> LedgerEntry:
    """Ship a whole container to another registrant: one entry out for the balance it holds, with
    the recipient and the shipping document in the entry's note (the note is hash-chained)."""
    require(by, Perm.STOCK_MANAGE)
    same_clinic(by, container)
    errors: dict[str, str] = {}
    name = recipient_name.strip()
    address = recipient_address.strip()
    document = document_number.strip()
    dea = recipient_dea_number.strip().upper()
    problem = dea_number_problem(dea)
    if problem:
        errors["recipient_dea_number"] = f"The recipient's DEA number {problem}."
    elif dea == (by.clinic.dea_number or "").strip().upper():
        errors["recipient_dea_number"] = "This is the clinic's own DEA number: use a location move."
    for field, value, limit in (
        ("recipient_name", name, 200),
        ("recipient_address", address, 500),
        ("document_number", document, 64),
    ):
        if not value:
            errors[field] = "This is required."
        elif len(value) > limit:
            errors[field] = f"Keep this under {limit} characters."
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    if shipped_on > today:
        errors["shipped_on"] = "The shipping date is in the future."
    elif shipped_on < today - dt.timedelta(days=MAX_LATE_DAYS):
        errors["shipped_on"] = f"Record a shipment within {MAX_LATE_DAYS} days of it."
    elif shipped_on < container.receipt.received_on:
        errors["shipped_on"] = "This is before the container was received."
    if errors:
        raise ValidationError(errors)
    lock_head(by.clinic_id)
    amount = container_balance(container.pk)
    if amount <= 0:
        raise ValidationError({"recipient_name": "This container is empty."})
    note = text(
        f"To registrant {name}, {address}, DEA {dea}; document {document}; "
        f"shipped {shipped_on.isoformat()}",
        "recipient_name",
    )
    return append_entry(
        by=by,
        container=container,
        kind=EntryKind.TRANSFER_OUT,
        change=-amount,
        occurred_at=timezone.now(),
        field="recipient_name",
        note=note,
        method="Transfer to another registrant",
        approved_by_id=by.user_id,
    )
