"""``{% load chair_stock %}{% draw_from_stock session %}`` on the session page: the link to record a
dose's draw from stock, shown to whoever may draw (runs sessions and handles stock) once the dose
is recorded and while the ledger has no administration entry for it. A template tag, so that
treatment's Python never imports inventory (tests/test_layers.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory.selectors import session_draw

register = template.Library()


@register.simple_tag(takes_context=True)
def draw_from_stock(context: template.Context, session: Any) -> SafeString | str:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or membership.clinic_id != session.clinic_id:
        return ""
    if not (membership.can(Perm.STOCK_HANDLE) and membership.can(Perm.TREATMENT_ADMINISTER)):
        return ""
    entry = session_draw(session.pk)
    if entry is not None:
        return format_html(
            '<p id="dose-draw">Drawn from stock: container {} (ledger entry {}).</p>',
            entry.container.label,
            entry.sequence,
        )
    return format_html(
        '<p id="dose-draw"><a class="button" href="{}">Record the draw from stock</a> '
        "<small>The dose is not in the controlled-substance ledger yet.</small></p>",
        reverse("inventory:draw", args=[session.pk]),
    )
