from __future__ import annotations

from django import template

from ketaclinic.research.analytics import Point

register = template.Library()


@register.filter
def rate(point: Point, which: str) -> str:
    """ "42% (31-54%)": the proportion and its 95 % Wilson interval, in whole percent."""
    k = point.responders if which == "response" else point.remitters
    p, low, high = point.rate(k)
    return f"{p:.0%} ({low:.0%}-{high:.0%})"


@register.filter
def words(code: str) -> str:
    """A code as words: "racemic_ketamine" -> "racemic ketamine"."""
    return str(code).replace("_", " ")
