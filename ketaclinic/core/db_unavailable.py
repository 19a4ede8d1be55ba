"""When the database can't be reached: a 503 in words, fast, and true about what was saved.

Any request that fails because the database is down, refusing connections, too busy or out of
disk answers 503 with ``Retry-After`` instead of the generic 500: a plain page for browsers, a short
fragment for htmx, a JSON problem body under ``/api/``. It says "Nothing you sent was saved" only
when that is true: the middleware notes every write the request committed (an execute wrapper on
the default connection; a write inside a transaction counts once that transaction commits), and a
request that committed something before the database went away is told to check before sending
again. No stack trace and no request data reach the page; the log line names the path (without its
query string), the kind of failure and the driver's error class, never the error's text.

The middleware must be near the top of ``MIDDLEWARE``: the first query of a request is the session
read of ``accounts.middleware.SessionAuthMiddleware``, whose exception Django turns into a 500
response before any outer middleware sees it. So the exception is caught from Django's
``got_request_exception`` signal (sent for view and middleware exceptions alike, inside the
``except`` block) and the 500 it produced is replaced here.

Which errors count (``unavailable_kind``):
- PostgreSQL: a connection failure (no SQLSTATE, class 08), the server shutting down or starting
  (57P01-57P03), too many connections or out of memory (53200, 53300), disk full (53100).
  A deadlock, a serialization failure or a constraint error stays a 500: retrying the same request
  blindly is not the answer to those.
- SQLite: busy or locked past the 20 s busy timeout, disk full, an I/O error, a file that can't be
  opened. A read-only database file stays a 500: it is a deployment error that waiting won't fix.

A PostgreSQL server that takes the request's bytes and never answers (a frozen host or process,
whose kernel still acknowledges TCP, so keepalives and ``tcp_user_timeout`` notice nothing) would
hold the request forever: PostgreSQL's own timeouts don't run in a frozen server, and gunicorn's
gthread workers don't time out a request thread. So a per-process ``StallWatchdog`` thread looks
at the requests running on PostgreSQL: once one has run ``STALL_SECONDS`` (settings, 5 s), it
opens a new connection to the same server (libpq ``connect_timeout`` 2 s). A server that answers
is slow, not stalled: nothing is cut, and it is asked again after another ``STALL_SECONDS``. When
the new connection gets no answer in time, the overdue requests' connections are shut down (the
socket, under the driver): the blocked call fails at once with a connection error, which answers
the 503 above, and the worker thread is free. The server rolls back an open transaction when it
sees the connection gone; a COMMIT already in its socket buffer may still land when it wakes, so a
request that had sent a write is told it *may* have been saved (its form token then makes a resend
a twin, not a duplicate).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html

logger = logging.getLogger("ketaclinic.db_unavailable")

RETRY_AFTER_SECONDS = 60
UNREACHABLE = "unreachable"
BUSY = "busy"
STORAGE = "storage"

_HEADLINES = {
    UNREACHABLE: "The clinic's database can't be reached.",
    BUSY: "The clinic's database is too busy to answer.",
    STORAGE: "The clinic's database can't store anything right now: its disk is full or failing.",
}
_NOTHING_SAVED = "Nothing you sent was saved; try again in a minute."
_MAYBE_SAVED = (
    "Part of what you sent may have been saved before the database went away: "
    "open the record and check before you send it again."
)
_READ_ONLY = "Try again in a minute."
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Statements that change nothing by themselves (transaction control, reads, session settings).
_NOT_WRITES = ("SELECT", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW", "PRAGMA")

# SQLite primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE_KINDS = {5: BUSY, 6: BUSY, 10: STORAGE, 13: STORAGE, 14: UNREACHABLE}
_SQLITE_MESSAGES = (
    ("database is locked", BUSY),
    ("database or disk is full", STORAGE),
    ("disk i/o error", STORAGE),
    ("unable to open database file", UNREACHABLE),
)


def unavailable_kind(exc: BaseException) -> str | None:
    """The kind of database outage ``exc`` shows, or None when it is some other error."""
    if isinstance(exc, InterfaceError):
        return UNREACHABLE  # psycopg: "the connection is closed"
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    module = type(cause).__module__ if cause is not None else ""
    if module.startswith("psycopg"):
        return _postgresql_kind(getattr(cause, "sqlstate", None))
    if module.startswith("sqlite3"):
        return _sqlite_kind(cause)
    return None


def _postgresql_kind(sqlstate: str | None) -> str | None:
    if sqlstate is None or sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}:
        return UNREACHABLE
    return {"53100": STORAGE, "53200": BUSY, "53300": BUSY}.get(sqlstate)


def _sqlite_kind(cause: BaseException | None) -> str | None:
    code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_KINDS.get(code & 0xFF)
    text = str(cause).lower()
    return next((kind for needle, kind in _SQLITE_MESSAGES if needle in text), None)


@dataclass
class _RequestState:
    """What one request did to the database, as far as this middleware needs to know."""

    committed: bool = False
    wrote: bool = False  # a write statement was sent (committed or not)
    cut: bool = False  # the stall watchdog shut the connection down under it
    kind: str | None = None
    error_class: str = ""
    pending: set[int] = field(default_factory=set)

    def _mark(self) -> None:
        self.committed = True

    def wrapper(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if not sql.lstrip().upper().startswith(_NOT_WRITES):
            self.wrote = True  # before: a write that never answers may still commit
        result = execute(sql, params, many, context)
        if not sql.lstrip().upper().startswith(_NOT_WRITES):
            conn = context["connection"]
            if not conn.in_atomic_block:
                self.committed = True
            elif not any(entry[1] == self._mark for entry in conn.run_on_commit):
                # Runs once the outermost transaction commits; dropped with a savepoint or a
                # transaction that rolls back (and registered again by the next write).
                transaction.on_commit(self._mark, using=conn.alias)
        return result


_STATE_ATTR = "_ketaclinic_db_state"


def _note_exception(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    state = getattr(request, _STATE_ATTR, None)
    if state is None or state.kind is not None:
        return
    exc = sys.exc_info()[1]
    if exc is not None:
        kind = unavailable_kind(exc)
        if kind is not None:
            state.kind = kind
            cause = exc.__cause__ or exc
            state.error_class = f"{type(cause).__module__}.{type(cause).__qualname__}"


class DatabaseUnavailableMiddleware:
    """Turns a request that failed because the database can't be reached into a 503 in words."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note_exception, dispatch_uid=__name__)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _RequestState()
        setattr(request, _STATE_ATTR, state)
        db = connections[DEFAULT_DB_ALIAS]
        with db.execute_wrapper(state.wrapper), WATCHDOG.watch(db, state):
            response = self.get_response(request)
        if state.cut:
            with contextlib.suppress(Exception):  # cut under the driver: the next one is new
                db.close()
        if state.kind is None or response.status_code < 500:
            return response
        return unavailable_response(
            request,
            kind=state.kind,
            committed=state.committed or (state.cut and state.wrote),
            error_class=state.error_class,
        )


@dataclass
class _Watched:
    db: BaseDatabaseWrapper
    state: _RequestState
    since: float  # monotonic time the request started, or was last found merely slow


class StallWatchdog:
    """Cuts the PostgreSQL connections of requests stuck on a server that stopped answering.

    One per process, its thread started by the first request it watches (after gunicorn's fork).
    """

    PROBE_TIMEOUT = 2  # libpq's connect_timeout: its minimum

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, _Watched] = {}
        self._pid = 0
        self._wake = threading.Event()

    @contextlib.contextmanager
    def watch(self, db: BaseDatabaseWrapper, state: _RequestState) -> Iterator[None]:
        stall = float(db.settings_dict.get("STALL_SECONDS") or 0)
        if db.vendor != "postgresql" or stall <= 0:
            yield
            return
        self._ensure_thread()
        key = id(state)
        with self._lock:
            self._watched[key] = _Watched(db, state, time.monotonic())
        try:
            yield
        finally:
            with self._lock:  # once out, the watchdog can no longer touch this connection
                self._watched.pop(key, None)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._watched.clear()
        threading.Thread(target=self._run, name="ketaclinic-db-stall", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(0.5)
            with self._lock:
                now = time.monotonic()
                overdue = [
                    w
                    for w in self._watched.values()
                    if not w.state.cut
                    and now - w.since >= float(w.db.settings_dict["STALL_SECONDS"])
                ]
            if not overdue:
                continue
            if _server_answers(overdue[0].db, self.PROBE_TIMEOUT):
                with self._lock:
                    for w in overdue:
                        w.since = time.monotonic()  # slow, not stalled: ask again later
                continue
            with self._lock:
                live = {id(w) for w in self._watched.values()}
                cut = [w for w in overdue if id(w) in live and _cut(w)]
            if cut:
                logger.warning(
                    "database stalled: no answer to %d request(s) and a new connection got none "
                    "within %d s; their connections were shut down",
                    len(cut),
                    self.PROBE_TIMEOUT,
                )


def _server_answers(db: BaseDatabaseWrapper, timeout: int) -> bool:
    """Whether a new connection to ``db``'s server gets an answer within ``timeout`` seconds.

    Any answer counts, a refusal included (too many connections, starting up): a server that
    answers is alive, and a connection it has dropped fails by itself. Only silence for the whole
    timeout means stalled."""
    import psycopg

    params = db.get_connection_params()
    params["connect_timeout"] = timeout
    for key in ("context", "cursor_factory", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    started = time.monotonic()
    try:
        psycopg.connect(**params).close()
    except psycopg.Error:
        return time.monotonic() - started < timeout * 0.9
    return True


def _cut(watched: _Watched) -> bool:
    """Shut down the socket under the request's connection (called with the watchdog's lock held,
    so the request is still inside the middleware and its connection still open)."""
    raw = getattr(watched.db, "connection", None)
    if raw is None:
        return False
    try:
        fd = raw.pgconn.socket
    except Exception:  # closed or broken: nothing left to cut
        return False
    watched.state.cut = True
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        sock.shutdown(socket.SHUT_RDWR)
    return True


WATCHDOG = StallWatchdog()


def _advice(request: HttpRequest, committed: bool) -> str:
    if committed:
        return _MAYBE_SAVED
    if request.method in _SAFE_METHODS:
        return _READ_ONLY
    return _NOTHING_SAVED


def unavailable_response(
    request: HttpRequest, *, kind: str, committed: bool, error_class: str = ""
) -> HttpResponse:
    """The 503 for ``request``: a page, an htmx fragment or a JSON problem, never a traceback."""
    headline = _HEADLINES[kind]
    advice = _advice(request, committed)
    logger.warning(
        "database unavailable (%s, %s): %s %s answered 503, something committed before: %s",
        kind,
        error_class or "unknown error",
        request.method,
        request.path,
        "yes" if committed else "no",
    )
    if request.path.startswith("/api/"):
        problem = {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"{headline} {advice}",
            "message": f"{headline} {advice}",
        }
        response = HttpResponse(
            json.dumps(problem), status=503, content_type="application/problem+json"
        )
    elif request.headers.get("HX-Request") == "true":
        fragment = format_html(
            '<ul class="messages" role="alert"><li class="error"><strong>{}</strong> {}</li></ul>',
            headline,
            advice,
        )
        response = HttpResponse(fragment, status=503)
        # Shown at the top of the page's main region where the page lets htmx swap a 503.
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "afterbegin"
    else:
        context = {"headline": headline, "advice": advice}
        response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store, private"
    # The page loads only our own stylesheet; the CSP middleware further in did not run.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    response["X-Frame-Options"] = "DENY"
    return response
