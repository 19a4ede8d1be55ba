"""Balances read from the ledger (the sum of each container's entries), shared by services and
selectors. No permission checks here: callers have done them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import cast

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from ketaclinic.inventory.domain.quantities import q
from ketaclinic.inventory.models import Container, LedgerEntry


def with_balance(containers: QuerySet[Container]) -> QuerySet[Container]:
    return containers.annotate(
        balance=Coalesce(
            Sum("entries__change"),
            Value(Decimal(0)),
            output_field=DecimalField(max_digits=12, decimal_places=3),
        )
    )


def balance_of(container: Container) -> Decimal:
    """The balance ``with_balance`` annotated on a container."""
    return cast(Decimal, container.__dict__["balance"])


def containers_in_stock(*, clinic_id: int, location_id: int | None = None) -> QuerySet[Container]:
    qs = Container.objects.filter(clinic_id=clinic_id)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    return (
        with_balance(qs.select_related("product", "location"))
        .filter(**{"balance__gt": 0})  # the annotation above (a name mypy's plugin cannot see)
        .order_by("expiry_date", "label")
    )


def balances_for(container_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = list(container_ids)
    found = {
        row["container_id"]: q(row["total"])
        for row in LedgerEntry.objects.filter(container_id__in=ids)
        .values("container_id")
        .annotate(total=Sum("change"))
    }
    return {pk: found.get(pk, q(0)) for pk in ids}
