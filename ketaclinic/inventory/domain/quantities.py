"""Quantities and balances, pure.

A container's stock is counted in one unit: milligrams for a vial of ketamine solution (the mL
follow from the concentration), devices for esketamine nasal spray. Every ledger entry carries a
signed change in that unit; a balance is the sum of the changes and is never typed in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

PLACES = Decimal("0.001")
ZERO = Decimal("0.000")

# Plausibility limits for what a person types (one container, one entry).
MAX_CONTAINERS_PER_RECEIPT = 200
MAX_MG_PER_CONTAINER = Decimal("5000")  # the largest ketamine vial sold is 500 mg/mL x 10 mL
MAX_DEVICES_PER_CONTAINER = 3  # an 84 mg esketamine kit


class Unit(enum.StrEnum):
    MG = "mg"
    DEVICE = "device"

    @property
    def label(self) -> str:
        return "mg" if self is Unit.MG else "devices"


class EntryKind(enum.StrEnum):
    RECEIPT = "receipt"
    ADMINISTRATION = "administration"
    WASTE = "waste"
    DESTRUCTION = "destruction"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    LOSS = "loss"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"


KIND_LABELS = {
    EntryKind.RECEIPT: "Receipt",
    EntryKind.ADMINISTRATION: "Administration",
    EntryKind.WASTE: "Waste",
    EntryKind.DESTRUCTION: "Destruction (DEA Form 41)",
    EntryKind.TRANSFER_OUT: "Transfer out",
    EntryKind.TRANSFER_IN: "Transfer in",
    EntryKind.LOSS: "Loss or theft",
    EntryKind.ADJUSTMENT: "Count adjustment",
    EntryKind.REVERSAL: "Reversal",
}

# The sign each kind's change must have (0: either; an adjustment or a reversal goes both ways).
KIND_SIGN = {
    EntryKind.RECEIPT: 1,
    EntryKind.TRANSFER_IN: 1,
    EntryKind.ADMINISTRATION: -1,
    EntryKind.WASTE: -1,
    EntryKind.DESTRUCTION: -1,
    EntryKind.TRANSFER_OUT: -1,
    EntryKind.LOSS: -1,
    EntryKind.ADJUSTMENT: 0,
    EntryKind.REVERSAL: 0,
}


class QuantityError(ValueError):
    """A change that the stock cannot take (the message is for the person who typed it)."""


def q(value: Decimal | int | str) -> Decimal:
    """A quantity at the ledger's precision (3 decimal places)."""
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """The text the hash covers: always 3 places, so 5, 5.0 and 5.000 hash alike."""
    return f"{q(value):.3f}"


def balance(changes: Iterable[Decimal]) -> Decimal:
    return q(sum(changes, ZERO))


def check_change(*, kind: EntryKind, change: Decimal, current: Decimal, unit: Unit) -> Decimal:
    """The change, checked: its sign fits its kind, devices are whole, and the balance after it
    is neither negative nor above what a container can hold. Returns the new balance."""
    change = q(change)
    sign = KIND_SIGN[kind]
    if change == 0:
        raise QuantityError("The quantity must be more than zero.")
    if sign and (change > 0) != (sign > 0):
        raise QuantityError(f"A {KIND_LABELS[kind].lower()} cannot move stock that way.")
    if unit is Unit.DEVICE and change != change.to_integral_value():
        raise QuantityError("Devices are counted whole.")
    after = q(current + change)
    if after < 0:
        raise QuantityError(
            f"Only {fmt(current)} {unit.label} are left in this container; "
            f"{fmt(-change)} {unit.label} cannot be taken from it."
        )
    return after


def ml_for_mg(mg: Decimal, mg_per_ml: Decimal | None) -> Decimal | None:
    if not mg_per_ml:
        return None
    return (mg / mg_per_ml).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def discrepancy(*, expected: Decimal, counted: Decimal) -> Decimal:
    """Counted minus expected: negative when stock is missing."""
    return q(counted - expected)
