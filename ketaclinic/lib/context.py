"""Per-request context (request id, client IP) that services attach to audit events.

A context variable rather than a request argument: services are called from views, commands and tasks
alike, and only views have a request. Management commands run with the default (no request id).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Read:
    """One record of patient data a response showed: the model instance and its patient's id."""

    obj: Any
    patient_id: Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    # Records of patient data fetched for this request (``note_read``); the read-audit middleware
    # writes one audit event for them when the response shows them (ids only).
    reads: list[Read] = field(default_factory=list, compare=False)


_NONE = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "ketaclinic_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _NONE


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def note_read(obj: Any, patient_id: Any) -> None:
    """Called by the per-object selectors (``get_*_for_user``) and by list views for each row
    shown: the record is part of what this request reads. Outside a request (commands, tasks,
    tests calling selectors directly) there is no reader to audit and nothing is noted."""
    ctx = _current.get()
    if ctx is not None:
        ctx.reads.append(Read(obj=obj, patient_id=patient_id))
