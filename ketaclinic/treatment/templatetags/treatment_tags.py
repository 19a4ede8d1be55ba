"""Template filters for treatment pages: doses without trailing zeros (3.50 -> 3.5), measurement labels."""

from __future__ import annotations

from decimal import Decimal

from django import template

from ketaclinic.treatment.domain import amendment
from ketaclinic.treatment.domain.protocol import DoseBasis
from ketaclinic.treatment.models import ObservationCode

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


_MEASURE_LABELS = dict(ObservationCode.choices)


@register.filter
def measure_label(code: object) -> str:
    """A coded measurement's label: ``moaa_s`` -> ``MOAA/S``."""
    key = str(getattr(code, "value", code))
    return str(_MEASURE_LABELS.get(key, key.replace("_", " ")))


@register.filter
def basis_unit(basis: object) -> str:
    """A dose basis as its unit: ``mg_per_kg_per_hour`` -> ``mg/kg/h``."""
    key = str(getattr(basis, "value", basis))
    try:
        return DoseBasis(key).unit
    except ValueError:
        return key


@register.filter
def amend_label(field: object) -> str:
    """An amendable field's label: ``dose.expiry_date`` -> ``Expiry date``."""
    spec = amendment.SPECS.get(str(field))
    return spec.label if spec else str(field)


@register.filter
def record_value(value: object) -> str:
    """A stored record value as people read it: yes/no for booleans, blank for unanswered."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
