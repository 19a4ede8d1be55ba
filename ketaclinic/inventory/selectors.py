"""Reads of the ledger. Every ``get_*_for_user`` returns only the caller's clinic's objects (another
clinic's object is a 404) and checks the role (403); lists are filtered to the caller's clinic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory.domain.deadlines import expires_soon, is_expired, open_too_long
from ketaclinic.inventory.domain.quantities import KIND_LABELS, EntryKind, ml_for_mg
from ketaclinic.inventory.models import (
    Container,
    Count,
    CountLine,
    InventoryReport,
    LedgerEntry,
    Location,
    LossReport,
    Product,
)
from ketaclinic.inventory.stock import balance_of, containers_in_stock, with_balance
from ketaclinic.treatment.models import DoseAdministration, TreatmentSession

M = TypeVar("M", bound=Model)


def _need(membership: Membership | None) -> Membership:
    if membership is None:
        raise Http404
    return membership


def can_view_stock(membership: Membership) -> bool:
    return membership.can(Perm.STOCK_VIEW)


def _get(
    qs: QuerySet[M], *, membership: Membership | None, pk: int, perm: Perm, clinic_field: str
) -> M:
    m = _need(membership)
    obj = qs.filter(pk=pk, **{clinic_field: m.clinic_id}).first()
    if obj is None:
        raise Http404
    if not m.can(perm):
        raise PermissionDenied
    return obj


def get_container_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> Container:
    qs = with_balance(Container.objects.select_related("product", "location", "receipt"))
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="clinic_id")


def get_entry_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> LedgerEntry:
    qs = LedgerEntry.objects.select_related("container", "container__product", "recorded_by")
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="clinic_id")


def get_count_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> Count:
    qs = Count.objects.select_related("location", "counted_by", "witnessed_by")
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="clinic_id")


def get_count_line_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> CountLine:
    qs = CountLine.objects.select_related("count", "container", "container__product")
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="count__clinic_id")


def get_loss_report_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> LossReport:
    qs = LossReport.objects.select_related("entry", "entry__container")
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="clinic_id")


def get_inventory_report_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> InventoryReport:
    qs = InventoryReport.objects.select_related("taken_by")
    return _get(qs, membership=membership, pk=pk, perm=perm, clinic_field="clinic_id")


def get_location_for_user(
    *, membership: Membership | None, pk: int, perm: Perm = Perm.STOCK_VIEW
) -> Location:
    return _get(
        Location.objects.all(), membership=membership, pk=pk, perm=perm, clinic_field="clinic_id"
    )


def _viewer(membership: Membership | None) -> Membership:
    m = _need(membership)
    if not can_view_stock(m):
        raise PermissionDenied
    return m


# --------------------------------------------------------------------------------------------------
# Lists


@dataclass(frozen=True)
class StockRow:
    container: Container
    balance: Decimal
    ml: Decimal | None
    expiring: bool
    expired: bool
    open_too_long: bool


def stock_by_container(*, membership: Membership | None) -> list[StockRow]:
    m = _viewer(membership)
    today = timezone.localdate(timezone.now(), m.clinic.tzinfo)
    rows = []
    for c in containers_in_stock(clinic_id=m.clinic_id).order_by("location__name", "expiry_date"):
        balance = balance_of(c)
        rows.append(
            StockRow(
                container=c,
                balance=balance,
                ml=ml_for_mg(balance, c.product.mg_per_ml),
                expiring=expires_soon(c.expiry_date, today),
                expired=is_expired(c.expiry_date, today),
                open_too_long=bool(c.opened_at)
                and open_too_long(c.opened_at.astimezone(m.clinic.tzinfo).date(), today),  # type: ignore[union-attr]
            )
        )
    return rows


def locations_for(*, membership: Membership | None) -> QuerySet[Location]:
    m = _viewer(membership)
    return Location.objects.filter(clinic_id=m.clinic_id, is_active=True)


def products_for(*, membership: Membership | None) -> QuerySet[Product]:
    _viewer(membership)
    return Product.objects.filter(is_active=True)


def entries_for(*, membership: Membership | None, limit: int = 200) -> list[LedgerEntry]:
    m = _viewer(membership)
    return list(
        LedgerEntry.objects.filter(clinic_id=m.clinic_id)
        .select_related(
            "container", "container__product", "recorded_by", "witness", "location", "reverses"
        )
        .order_by("-sequence")[:limit]
    )


def open_discrepancies(*, membership: Membership | None) -> list[CountLine]:
    m = _viewer(membership)
    lines = CountLine.objects.filter(
        count__clinic_id=m.clinic_id, resolved_at__isnull=True
    ).select_related("count", "container", "container__product")
    return [line for line in lines if line.is_discrepancy]


def counts_for(*, membership: Membership | None, limit: int = 30) -> list[Count]:
    m = _viewer(membership)
    return list(
        Count.objects.filter(clinic_id=m.clinic_id)
        .select_related("location", "counted_by")
        .order_by("-counted_at")[:limit]
    )


def loss_reports_for(*, membership: Membership | None) -> list[LossReport]:
    m = _viewer(membership)
    return list(
        LossReport.objects.filter(clinic_id=m.clinic_id)
        .select_related("entry", "entry__container")
        .order_by("-discovered_on")
    )


def inventory_reports_for(*, membership: Membership | None) -> list[InventoryReport]:
    m = _viewer(membership)
    return list(
        InventoryReport.objects.filter(clinic_id=m.clinic_id)
        .select_related("taken_by")
        .order_by("-taken_at")
    )


# --------------------------------------------------------------------------------------------------
# The dispensing and administration log (21 CFR 1304.22(c))

LOG_HEADER = (
    "Entry",
    "Date and time",
    "Kind",
    "Container",
    "NDC",
    "Product",
    "Lot",
    "Change",
    "Unit",
    "Administered",
    "Wasted",
    "Patient",
    "Patient address",
    "Recorded by",
    "Witness",
    "Note",
)
LOG_KINDS = (EntryKind.ADMINISTRATION, EntryKind.WASTE, EntryKind.DESTRUCTION, EntryKind.LOSS)


def administration_log(
    *, membership: Membership | None, start: dt.date, end: dt.date
) -> Iterator[tuple[str, ...]]:
    """Every administration, waste, destruction and loss of the clinic between two local dates
    (inclusive), oldest first, as text rows: what DEA inspection reads (patient name and address,
    date, amount, who gave it). The role is checked at the call, before any row is read."""
    m = _viewer(membership)
    return _log_rows(m, start, end)


def _log_rows(m: Membership, start: dt.date, end: dt.date) -> Iterator[tuple[str, ...]]:
    tz = m.clinic.tzinfo
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        LedgerEntry.objects.filter(
            clinic_id=m.clinic_id,
            kind__in=[str(k) for k in LOG_KINDS],
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .order_by("occurred_at", "sequence")
        .values_list(
            "sequence",
            "occurred_at",
            "kind",
            "container__label",
            "container__product__ndc",
            "container__product__name",
            "container__lot_number",
            "change",
            "container__product__unit",
            "administered",
            "wasted",
            "patient__given_name",
            "patient__family_name",
            "patient__address_line",
            "patient__city",
            "patient__state",
            "patient__postal_code",
            "recorded_by__username",
            "witness__username",
            "note",
        )
    )
    labels = {str(k): v for k, v in KIND_LABELS.items()}
    for r in rows.iterator(chunk_size=5000):
        address = ", ".join(p for p in (r[13], r[14], r[15], r[16]) if p)
        yield (
            str(r[0]),
            r[1].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            labels[r[2]],
            r[3],
            r[4],
            r[5],
            r[6],
            f"{r[7]:.3f}",
            "mg" if r[8] == "mg" else "devices",
            "" if r[9] is None else f"{r[9]:.3f}",
            "" if r[10] is None else f"{r[10]:.3f}",
            f"{r[11]} {r[12]}" if r[11] else "",
            address,
            r[17],
            r[18] or "",
            r[19],
        )


# --------------------------------------------------------------------------------------------------
# At the chair


def session_location_ids(session: TreatmentSession) -> list[int]:
    """Where a session's stock is: the location serving its chair, else the clinic's locations
    that serve sessions."""
    locations = list(Location.objects.filter(clinic_id=session.clinic_id, is_active=True))
    chair = session.chair.strip().lower()
    if chair:
        for loc in locations:
            if chair in {c.strip().lower() for c in loc.chairs.splitlines() if c.strip()}:
                return [loc.pk]
    return [loc.pk for loc in locations if loc.serves_sessions]


def containers_for_session(session: TreatmentSession) -> list[Container]:
    """The containers the dose form may offer: in stock at the session's location, of the
    protocol's drug, unexpired (on the session's local date); soonest expiry first, opened vials
    before sealed ones. Esketamine is counted per device (``.balance`` in devices)."""
    drug = str(session.protocol_version.protocol.drug)
    today = timezone.localdate(timezone.now(), session.clinic.tzinfo)
    qs = containers_in_stock(clinic_id=session.clinic_id).filter(
        location_id__in=session_location_ids(session),
        product__drug=drug,
        expiry_date__gte=today,
    )
    return sorted(qs, key=lambda c: (c.opened_at is None, c.expiry_date, c.label))


# --------------------------------------------------------------------------------------------------
# Doses and their draws from stock (the chair's ledger step; the reconciliation list)


def session_draw(session_id: int) -> LedgerEntry | None:
    """The administration entry a session's dose was drawn with, unless it was reversed (a
    reversed draw leaves the dose undrawn again)."""
    return (
        LedgerEntry.objects.filter(
            session_id=session_id,
            kind=str(EntryKind.ADMINISTRATION),
            reversed_by__isnull=True,
        )
        .select_related("container", "container__product", "witness")
        .order_by("sequence")
        .first()
    )


def undrawn_doses(
    *, membership: Membership | None, day: dt.date | None = None
) -> list[DoseAdministration]:
    """The doses given on a local day (today by default) whose session has no administration
    entry in the ledger: what a diversion review looks for first. Oldest first."""
    m = _viewer(membership)
    tz = m.clinic.tzinfo
    day = day or timezone.localdate(timezone.now(), tz)
    since = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return list(
        DoseAdministration.objects.filter(
            session__clinic_id=m.clinic_id, started_at__gte=since, started_at__lt=until
        )
        .exclude(
            session_id__in=LedgerEntry.objects.filter(
                clinic_id=m.clinic_id,
                kind=str(EntryKind.ADMINISTRATION),
                session_id__isnull=False,
                reversed_by__isnull=True,
            ).values("session_id")
        )
        .select_related("session", "session__protocol_version", "given_by", "witnessed_by")
        .order_by("started_at", "pk")
    )


def dose_of(session: TreatmentSession) -> DoseAdministration | None:
    return (
        DoseAdministration.objects.filter(session_id=session.pk)
        .select_related("given_by", "witnessed_by")
        .first()
    )
