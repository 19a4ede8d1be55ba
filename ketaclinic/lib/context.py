"""Per-request context (request id, client IP) that services attach to audit events.

A context variable rather than a request argument: services are called from views, commands and tasks
alike, and only views have a request. Management commands run with the default (no request id).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None


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
