"""Filters every template may use: words for code names and times in the clinic's zone.

``{% load ketaclinic_tags %}``, then ``{{ code|human }}`` (``cssrs_screener`` -> ``C-SSRS
screener``), ``{{ basis|unit }}`` (``mg_per_kg`` -> ``mg/kg``), ``{{ "PT15M"|duration }}``
(``15 minutes``) and ``{{ when|at }}`` (``2026-12-01 14:05 EST``) or ``{{ when|at:"H:i" }}``
(``14:05 EST``): a time in the clinic's zone, always labelled with the zone's abbreviation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from ketaclinic.lib import labels

register = template.Library()


@register.filter
def human(code: object) -> str:
    return labels.label(code)


@register.filter
def unit(code: object) -> str:
    return labels.unit(code)


@register.filter
def duration(value: object) -> str:
    return labels.duration(value)


@register.filter
def at(value: Any, fmt: str = "Y-m-d H:i") -> str:
    """``value`` (an aware datetime, or its ISO text) in the current time zone (the clinic's,
    activated for every staff request by ``ClinicTimeZoneMiddleware``), then the zone's
    abbreviation. Anything else renders empty."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        return ""
    local = timezone.localtime(value)
    return f"{date_format(local, fmt)} {local.strftime('%Z')}"
