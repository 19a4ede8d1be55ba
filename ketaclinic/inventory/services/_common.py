"""The one way an entry is written: lock the clinic's ledger head, check the container's balance
while holding it, append the entry to the chain and write its audit event, all in the caller's
transaction.

Holding the head row serialises every writer of one clinic's ledger: on PostgreSQL through
``SELECT ... FOR UPDATE``; on SQLite the IMMEDIATE transaction mode (settings) takes the database's
write lock at BEGIN, so a second writer waits before it reads the balance. Either way two nurses
drawing the last milligrams are served one after the other and the second is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.inventory.domain.chain import GENESIS, entry_hash
from ketaclinic.inventory.domain.quantities import (
    EntryKind,
    QuantityError,
    Unit,
    check_change,
    fmt,
    q,
)
from ketaclinic.inventory.models import Container, LedgerEntry, LedgerHead

# The fields the hash covers, in this order (verify reads them with ``values_list``).
HASHED_FIELDS = (
    "clinic_id",
    "sequence",
    "kind",
    "container_id",
    "change",
    "administered",
    "wasted",
    "occurred_at",
    "recorded_at",
    "recorded_by_id",
    "witness_id",
    "second_witness_id",
    "approved_by_id",
    "patient_id",
    "session_id",
    "receipt_id",
    "location_id",
    "reverses_id",
    "note",
    "method",
)

# How far back an event may be dated when it is recorded late (a night's count, a weekend).
MAX_BACKDATE = dt.timedelta(days=7)
MAX_NOTE = 2000


def hashed_values(entry: LedgerEntry) -> tuple[object, ...]:
    return tuple(getattr(entry, name) for name in HASHED_FIELDS)


def require(by: Membership, perm: Perm) -> None:
    if not by.can(perm):
        raise PermissionDenied


def same_clinic(by: Membership, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.clinic_id != by.clinic_id:
            raise ValidationError("That record belongs to another clinic.")


def occurred(value: dt.datetime | None, *, not_before: dt.datetime | None = None) -> dt.datetime:
    """When it happened: now, or a time typed in, never in the future nor long ago."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise ValidationError({"occurred_at": "Give the time with its time zone."})
    if value > now + dt.timedelta(minutes=1):
        raise ValidationError({"occurred_at": "This time is in the future."})
    if value < now - MAX_BACKDATE:
        raise ValidationError(
            {"occurred_at": "Entries more than 7 days late need the inventory manager's count."}
        )
    if not_before is not None and value < not_before:
        raise ValidationError(
            {"occurred_at": f"This is before the container was received ({not_before:%Y-%m-%d})."}
        )
    return value


def text(value: str, field: str, *, required: bool = True, limit: int = MAX_NOTE) -> str:
    value = value.strip()
    if required and not value:
        raise ValidationError({field: "This is required."})
    if len(value) > limit:
        raise ValidationError({field: f"Keep this under {limit} characters."})
    return value


def lock_head(clinic_id: int) -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(clinic_id=clinic_id).first()
    if head is None:
        LedgerHead.objects.get_or_create(
            clinic_id=clinic_id, defaults={"last_sequence": 0, "last_hash": GENESIS}
        )
        head = LedgerHead.objects.select_for_update().get(clinic_id=clinic_id)
    return head


def container_balance(container_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(container_id=container_id).aggregate(t=Sum("change"))["t"]
    return q(total or 0)


def append_entry(
    *,
    by: Membership,
    container: Container,
    kind: EntryKind,
    change: Decimal,
    occurred_at: dt.datetime,
    field: str = "quantity",
    audit_extra: dict[str, Any] | None = None,
    **fields: Any,
) -> LedgerEntry:
    """Append one entry: the balance after it is checked with the clinic's head locked. Must run
    inside the caller's transaction (the head lock lasts until it commits)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_entry runs inside the service's transaction")
    head = lock_head(container.clinic_id)
    current = container_balance(container.pk)
    try:
        after = check_change(
            kind=kind, change=change, current=current, unit=Unit(container.product.unit)
        )
    except QuantityError as exc:
        raise ValidationError({field: str(exc)}) from None
    entry = LedgerEntry(
        clinic_id=container.clinic_id,
        sequence=head.last_sequence + 1,
        kind=str(kind),
        container=container,
        change=q(change),
        occurred_at=occurred_at,
        recorded_at=timezone.now(),
        recorded_by_id=by.user_id,
        location_id=fields.pop("location_id", container.location_id),
        prev_hash=head.last_hash,
        **fields,
    )
    for name in ("administered", "wasted"):
        value = getattr(entry, name)
        if value is not None:
            setattr(entry, name, q(value))
    entry.hash = entry_hash(entry.prev_hash, hashed_values(entry))
    entry.save(force_insert=True)
    head.last_sequence = entry.sequence
    head.last_hash = entry.hash
    head.save(update_fields=["last_sequence", "last_hash"])
    audit_record(
        event_type=EventType.STOCK_ENTRY_RECORDED,
        actor=by,
        obj=entry,
        patient_id=entry.patient_id,
        extra={
            "kind": str(kind),
            "container": container.label,
            "change": fmt(entry.change),
            "balance_after": fmt(after),
            "sequence": entry.sequence,
            "hash": entry.hash,
            **(audit_extra or {}),
        },
    )
    return entry
