"""A stateful property test over random sequences of ledger entries: each container's balance is
the sum of its entries and never negative; a refused entry changes nothing; a reversal restores the
balance; the chain verifies; a raw-SQL edit of any entry makes verify fail, naming that entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ketaclinic.inventory import services
from ketaclinic.inventory.models import Container, LedgerEntry, LossKind
from ketaclinic.inventory.stock import balances_for
from ketaclinic.inventory.tests.conftest import sign_off
from ketaclinic.inventory.verify import ledger_verify

AMOUNTS = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(600), places=3)


def raw_edit(entry_id: int, column: str, value: Any) -> Any:
    """Change one stored value behind the application's back; returns the old value. On
    PostgreSQL the append-only trigger is switched off for this connection (superuser) first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"SELECT {column} FROM inventory_ledgerentry WHERE id = %s", [entry_id])  # noqa: S608
        old = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE inventory_ledgerentry SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, entry_id],
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
    return old


class Ledger(RuleBasedStateMachine):
    ctx: dict[str, Any]
    # The frozen clock carries on from one example to the next: a TOTP code is accepted once, so
    # the witness's next code must come from a later 30-second step than any used before.
    clock_at: dt.datetime

    def __init__(self) -> None:
        super().__init__()
        c = self.ctx
        self.traveller = time_machine.travel(Ledger.clock_at, tick=False)
        self.clock = self.traveller.start()
        self.expected: dict[int, Decimal] = {}
        # Entries of this run that a reversal may still correct.
        self.reversible: list[int] = []
        self.nurse, self.witness, self.manager = c["nurse"], c["prescriber"], c["manager"]

    def teardown(self) -> None:
        Ledger.clock_at = timezone.now()
        self.traveller.stop()

    def _sign(self) -> services.WitnessSignOff:
        self.clock.shift(31)
        return sign_off(self.witness)

    def _containers(self) -> list[int]:
        return sorted(self.expected)

    @rule(product=st.sampled_from(["k50", "k100", "esk56"]), count=st.integers(1, 3))
    def receive(self, product: str, count: int) -> None:
        c = self.ctx
        receipt = c["receive"](product=product, count=count, witness=self._sign())
        for container in receipt.containers.select_related("product"):
            self.expected[container.pk] = container.product.full_quantity
        self.reversible += list(
            LedgerEntry.objects.filter(receipt=receipt).values_list("pk", flat=True)
        )

    def _take(self, index: int, amount: Decimal, call: Any) -> None:
        ids = self._containers()
        if not ids:
            return
        pk = ids[index % len(ids)]
        container = Container.objects.select_related("product").get(pk=pk)
        if container.product.unit == "device":
            amount = Decimal(max(1, int(amount) % 4))
        before = self.expected[pk]
        try:
            entry = call(container, amount)
        except ValidationError:
            assert amount > before  # refused only when the stock is not there
            return
        assert amount <= before
        self.expected[pk] = before - amount
        self.reversible.append(entry.pk)

    @rule(index=st.integers(0, 50), amount=AMOUNTS)
    def waste(self, index: int, amount: Decimal) -> None:
        self._take(
            index,
            amount,
            lambda c, a: services.waste_record(
                by=self.nurse, container=c, amount=a, reason="Residue", witness=self._sign()
            ),
        )

    @rule(index=st.integers(0, 50), amount=AMOUNTS)
    def loss(self, index: int, amount: Decimal) -> None:
        today = timezone.localdate(timezone.now(), self.nurse.clinic.tzinfo)
        self._take(
            index,
            amount,
            lambda c, a: (
                services.loss_record(
                    by=self.nurse,
                    container=c,
                    amount=a,
                    kind=LossKind.BREAKAGE,
                    discovered_on=today,
                    note="Dropped",
                ).entry
            ),
        )

    @rule(index=st.integers(0, 200))
    def reverse(self, index: int) -> None:
        if not self.reversible:
            return
        entry = LedgerEntry.objects.get(pk=self.reversible.pop(index % len(self.reversible)))
        before = self.expected[entry.container_id]
        try:
            services.entry_reverse(by=self.manager, entry=entry, reason="Recorded in error")
        except ValidationError:
            assert before - entry.change < 0  # refused only when the stock has gone since
            return
        self.expected[entry.container_id] = before - entry.change
        assert self.expected[entry.container_id] >= 0

    @rule(index=st.integers(0, 10_000), field=st.sampled_from(["change", "note", "occurred_at"]))
    def tamper(self, index: int, field: str) -> None:
        ids = list(
            LedgerEntry.objects.filter(clinic_id=self.nurse.clinic_id)
            .order_by("sequence")
            .values_list("pk", "sequence")
        )
        if not ids:
            return
        pk, sequence = ids[index % len(ids)]
        new: Any = {
            "change": "-0.001",
            "note": "edited",
            "occurred_at": "2001-01-01 00:00:00"
            if connection.vendor == "sqlite"
            else dt.datetime(2001, 1, 1, tzinfo=dt.UTC),
        }[field]
        old = raw_edit(pk, field, new)
        result = ledger_verify()
        raw_edit(pk, field, old)
        assert not result.ok
        assert result.first_bad_sequence == sequence
        assert result.first_bad_entry_id == pk

    @invariant()
    def balances_are_sums_and_never_negative(self) -> None:
        ids = self._containers()
        assert balances_for(ids) == {pk: self.expected[pk] for pk in ids}
        assert all(v >= 0 for v in self.expected.values())

    @invariant()
    def the_chain_verifies(self) -> None:
        assert ledger_verify().ok


@pytest.mark.django_db
def test_random_sequences_of_entries_keep_the_ledger_sound(
    nurse, prescriber, inventory_manager, receive
) -> None:
    Ledger.ctx = {
        "nurse": nurse,
        "prescriber": prescriber,
        "manager": inventory_manager,
        "receive": receive,
    }
    Ledger.clock_at = timezone.now()
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=10,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
