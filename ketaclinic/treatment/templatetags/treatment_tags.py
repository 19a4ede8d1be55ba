"""Template filters for doses: a Decimal shown without trailing zeros (3.50 -> 3.5, 35.0 -> 35)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    text = format(value.normalize(), "f")
    return text
