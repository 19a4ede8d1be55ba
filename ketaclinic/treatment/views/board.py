"""The chair board: today's sessions, and the rows alone for htmx polling."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.lib.context import note_read
from ketaclinic.treatment import selectors


def _noted(rows: list[selectors.BoardRow]) -> list[selectors.BoardRow]:
    for row in rows:  # each row names its patient: an audited read (ids only)
        note_read(row.session, row.session.patient_id)
    return rows


def board(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    rows = _noted(selectors.board(membership=m))
    context = {
        "rows": rows,
        "now": timezone.now(),
        "can_manage_closures": selectors.can_manage_closures(m),
    }
    return render(request, "treatment/board.html", context)


def board_rows(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    rows = _noted(selectors.board(membership=m))
    return render(
        request, "treatment/partials/board_rows.html", {"rows": rows, "now": timezone.now()}
    )
