"""Counts and inventories: a shift or daily count (expected from the ledger, counted by hand) with
its discrepancy workflow, and the initial and biennial inventory (21 CFR 1304.11)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.inventory.domain.quantities import (
    MAX_DEVICES_PER_CONTAINER,
    MAX_MG_PER_CONTAINER,
    EntryKind,
    Unit,
    discrepancy,
    fmt,
    q,
)
from ketaclinic.inventory.models import (
    Container,
    Count,
    CountKind,
    CountLine,
    InventoryKind,
    InventoryReport,
    Location,
    TakenAt,
)
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
from ketaclinic.inventory.stock import balances_for, containers_in_stock


def count_record(
    *,
    by: Membership,
    location: Location,
    kind: CountKind,
    counted: dict[int, Decimal],
    witness: WitnessSignOff | None = None,
) -> Count:
    """Count every container in stock at a location. ``counted`` maps each container's id to the
    quantity found (mg or devices; an opened vial may be estimated). Lines that differ from the
    ledger are discrepancies until the inventory manager resolves them."""
    done: Count = with_witness_refusal(
        by,
        "stock_count",
        lambda: _count_record(
            by=by, location=location, kind=kind, counted=counted, witness=witness
        ),
    )
    return done


@transaction.atomic
def _count_record(
    *,
    by: Membership,
    location: Location,
    kind: CountKind,
    counted: dict[int, Decimal],
    witness: WitnessSignOff | None,
) -> Count:
    require(by, Perm.STOCK_HANDLE)
    same_clinic(by, location)
    lock_head(by.clinic_id)  # the expected balances cannot move while they are compared
    containers = list(containers_in_stock(clinic_id=by.clinic_id, location_id=location.pk))
    expected = balances_for([c.pk for c in containers])
    errors: dict[str, str] = {}
    for container in containers:
        value = counted.get(container.pk)
        limit = (
            Decimal(MAX_DEVICES_PER_CONTAINER)
            if container.product.unit == Unit.DEVICE
            else MAX_MG_PER_CONTAINER
        )
        if value is None:
            errors[f"c{container.pk}"] = f"Count {container.label}."
        elif not 0 <= value <= limit:
            errors[f"c{container.pk}"] = f"Enter 0 to {fmt(limit)}."
    if set(counted) - {c.pk for c in containers}:
        errors["__all__"] = "A counted container is not in stock at this location."
    if errors:
        raise ValidationError(errors)
    witnessed = witness_confirm(by=by, sign_off=witness) if witness else None
    count = Count.objects.create(
        clinic_id=by.clinic_id,
        location=location,
        kind=str(kind),
        counted_at=timezone.now(),
        counted_by_id=by.user_id,
        witnessed_by_id=witnessed.user_id if witnessed else None,
    )
    lines = [
        CountLine(
            count=count,
            container=c,
            expected=expected.get(c.pk, q(0)),
            counted=q(counted[c.pk]),
        )
        for c in containers
    ]
    for line in lines:
        line.save()
    audit_record(
        event_type=EventType.STOCK_COUNT_RECORDED,
        actor=by,
        obj=count,
        extra={
            "containers": len(lines),
            "discrepancies": [
                {
                    "container": line.container.label,
                    "expected": fmt(line.expected),
                    "counted": fmt(line.counted),
                }
                for line in lines
                if line.is_discrepancy
            ],
        },
    )
    return count


@transaction.atomic
def discrepancy_resolve(
    *, by: Membership, line: CountLine, investigation_note: str, adjust: bool
) -> CountLine:
    """The inventory manager closes a discrepancy with an investigation note: either the ledger is
    adjusted to what was counted (a count adjustment entry, approved by them), or the count is
    found to have been wrong and the ledger stands."""
    require(by, Perm.STOCK_MANAGE)
    line = (
        CountLine.objects.select_for_update().select_related("count", "container").get(pk=line.pk)
    )
    same_clinic(by, line.count)
    if line.resolved_at is not None:
        raise ValidationError("This discrepancy is already resolved.")
    if not line.is_discrepancy:
        raise ValidationError("This line matches the ledger.")
    note = text(investigation_note, "investigation_note")
    if len(note) < 10:
        raise ValidationError({"investigation_note": "Say what the investigation found."})
    if adjust:
        container = Container.objects.select_related("product").get(pk=line.container_id)
        line.adjustment = append_entry(
            by=by,
            container=container,
            kind=EntryKind.ADJUSTMENT,
            change=discrepancy(expected=line.expected, counted=line.counted),
            occurred_at=timezone.now(),
            field="investigation_note",
            note=note,
            approved_by_id=by.user_id,
        )
    line.resolved_at = timezone.now()
    line.resolved_by_id = by.user_id
    line.investigation_note = note
    line.save(update_fields=["adjustment", "resolved_at", "resolved_by", "investigation_note"])
    audit_record(
        event_type=EventType.STOCK_DISCREPANCY_RESOLVED,
        actor=by,
        obj=line.count,
        extra={
            "line_id": line.pk,
            "container": line.container.label,
            "adjusted": adjust,
            "adjustment_entry": line.adjustment.sequence if line.adjustment else None,
        },
    )
    return line


@transaction.atomic
def inventory_take(*, by: Membership, kind: InventoryKind, time_of_day: TakenAt) -> InventoryReport:
    """The initial (first day of handling) or biennial inventory: every container with stock, as
    the ledger has it at this moment, stored as a snapshot."""
    require(by, Perm.STOCK_MANAGE)
    head = lock_head(by.clinic_id)
    containers = list(containers_in_stock(clinic_id=by.clinic_id))
    balances = balances_for([c.pk for c in containers])
    lines = [
        {
            "container": c.label,
            "location": c.location.name,
            "ndc": c.product.ndc,
            "product": c.product.name,
            "form": c.product.form,
            "lot": c.lot_number,
            "expiry": c.expiry_date.isoformat(),
            "opened": c.opened_at is not None,
            "quantity": fmt(balances[c.pk]),
            "unit": c.product.unit_label,
        }
        for c in containers
    ]
    report = InventoryReport.objects.create(
        clinic_id=by.clinic_id,
        kind=str(kind),
        taken_at=timezone.now(),
        time_of_day=str(time_of_day),
        taken_by_id=by.user_id,
        lines=lines,
        through_sequence=head.last_sequence,
    )
    audit_record(
        event_type=EventType.STOCK_INVENTORY_TAKEN,
        actor=by,
        obj=report,
        extra={"kind": str(kind), "containers": len(lines), "through": head.last_sequence},
    )
    return report
