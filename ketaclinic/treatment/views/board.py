"""The chair board: today's sessions, and the rows alone for htmx polling.

The polling element carries the version of the rows it shows (``X-Board-Version``, set with
``hx-headers`` and replaced on every swap). A poll whose version is still exact answers 204 No
Content: htmx keeps the rows, nothing is read, and no read event is written (the read audit
writes only for a 200 that showed records). Pages stay ``no-store``: no browser cache involved."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.template.response import SimpleTemplateResponse

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.models import Membership
from ketaclinic.lib.context import note_read
from ketaclinic.treatment import selectors

VERSION_HEADER = "X-Board-Version"


def _rows_context(m: Membership) -> dict[str, Any]:
    data_version = selectors.board_data_version(membership=m)  # before the rows: see there
    board = selectors.board_with_clock(membership=m)
    for row in board.rows:  # each row names its patient: an audited read (ids only)
        note_read(row.session, row.session.patient_id)
    token = selectors.board_version_token(membership=m, data_version=data_version, board=board)
    return {"rows": board.rows, "now": board.now, "board_version": token}


def board(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    context = {
        **_rows_context(m),
        "can_manage_closures": selectors.can_manage_closures(m),
    }
    return render(request, "treatment/board.html", context)


def board_rows(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    token = request.headers.get(VERSION_HEADER, "")
    if token and selectors.board_unchanged(membership=m, token=token):
        return HttpResponse(status=204)
    # The rows alone use no context processor (navigation, messages, clinic: the layout's), so
    # they render without a request context, as the chair's reading row does.
    return SimpleTemplateResponse("treatment/partials/board_rows.html", _rows_context(m))
