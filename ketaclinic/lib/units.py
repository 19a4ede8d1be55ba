"""Unit conversions for entry forms. Exact definitions: 1 lb = 0.45359237 kg (international
avoirdupois pound, 1959); 1 in = 2.54 cm. Results are rounded half-up to one decimal place, the
precision the chart stores."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

KG_PER_LB = Decimal("0.45359237")
CM_PER_IN = Decimal("2.54")
_ONE_DP = Decimal("0.1")

WEIGHT_UNITS = ("kg", "lb")
HEIGHT_UNITS = ("cm", "in")


def to_kg(value: Decimal, unit: str) -> Decimal:
    if unit == "kg":
        return value.quantize(_ONE_DP, ROUND_HALF_UP)
    if unit == "lb":
        return (value * KG_PER_LB).quantize(_ONE_DP, ROUND_HALF_UP)
    raise ValueError(f"weight unit {unit!r} is not one of: {', '.join(WEIGHT_UNITS)}")


def to_cm(value: Decimal, unit: str) -> Decimal:
    if unit == "cm":
        return value.quantize(_ONE_DP, ROUND_HALF_UP)
    if unit == "in":
        return (value * CM_PER_IN).quantize(_ONE_DP, ROUND_HALF_UP)
    raise ValueError(f"height unit {unit!r} is not one of: {', '.join(HEIGHT_UNITS)}")


def kg_to_lb(kg: Decimal) -> Decimal:
    return (kg / KG_PER_LB).quantize(_ONE_DP, ROUND_HALF_UP)


def cm_to_in(cm: Decimal) -> Decimal:
    return (cm / CM_PER_IN).quantize(_ONE_DP, ROUND_HALF_UP)
