"""``/sessions``: treatment sessions of one clinic day (the chair board's list) and one session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from ketaclinic.accounts.http import membership_of
from ketaclinic.api.schemas import Message, SessionOut, SessionQuery
from ketaclinic.lib.context import note_read
from ketaclinic.treatment.selectors import board, get_session_for_user

router = Router(tags=["sessions"])

ERRORS: dict[int, Any] = {401: Message, 403: Message, 404: Message, 422: Message}

# Dates further than this from today are refused: a typo (2205 for 2025), not a clinic day.
MAX_YEARS_AWAY = 5


@router.get("", response={200: list[SessionOut], **ERRORS}, summary="Sessions of one clinic day")
def list_sessions(request: HttpRequest, query: Query[SessionQuery]) -> Any:
    date, limit, offset = query.date, query.limit, query.offset
    membership = membership_of(request)
    tz = membership.clinic.tzinfo
    today = timezone.now().astimezone(tz).date()
    day = date or today
    if abs((day - today).days) > MAX_YEARS_AWAY * 366:
        return Status(
            422, {"message": f"date: choose a day within {MAX_YEARS_AWAY} years of today."}
        )
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
    rows = board(membership=membership, now=noon)[offset : offset + limit]
    for row in rows:
        note_read(row.session, row.session.patient_id)
    return Status(200, [row.session for row in rows])


@router.get("/{session_id}", response={200: SessionOut, **ERRORS}, summary="One session")
def get_session(request: HttpRequest, session_id: int) -> Any:
    return get_session_for_user(membership=membership_of(request), pk=session_id)
