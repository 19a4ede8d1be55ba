"""A fixed-window request counter kept in the database, shared by every application server.
Pure: no Django import; the caller passes a DB-API cursor (Django's ``connection.cursor()``).

Why the database (issue 15): several application servers share one PostgreSQL, and no state may
live in a process. The earlier in-process counter (issue 10, finding 9) gave a client ``W x
limit`` requests per window with ``W`` worker processes, forgot its counts on a restart, and did
not add up across servers. Here one row per (key, window start) is incremented by one atomic
upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, PostgreSQL and SQLite 3.35+): two
servers counting the same client at the same moment both see the summed count.

Cost: one single-row write per counted request, in its own short transaction (autocommit), so it
is only used on the anonymous self-report page, never on staff pages. Keys are SHA-256 digests of
the scope and the client address, never the address itself. Rows of past windows are pruned by
the daily prune job (``ops.jobs``); a flood of addresses adds rows only until then.

The table is ``ops``'s ``WindowCount`` model (``TABLE``): ``lib`` has no models, and the layers
below ``ops`` reach it only through this function and the table name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Protocol

TABLE = "ops_windowcount"

_UPSERT = (
    f'INSERT INTO {TABLE} ("key", "window_start", "count") VALUES (%s, %s, 1) '  # noqa: S608
    f'ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = {TABLE}."count" + 1 '
    'RETURNING "count"'
)


class Cursor(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def fetchone(self) -> Any: ...


def window_start(now: dt.datetime, window_seconds: int) -> int:
    """The start of the fixed window holding ``now``, in Unix seconds (an integer, stored as one:
    the same value from the ORM and from this module's SQL on every database)."""
    return int(now.timestamp()) // window_seconds * window_seconds


def counter_key(scope: str, client: str) -> str:
    """The stored key: a digest, so the table never holds a client's address."""
    return hashlib.sha256(f"{scope}\x00{client}".encode()).hexdigest()


def window_hit(
    cursor: Cursor,
    *,
    scope: str,
    client: str,
    limit: int,
    window_seconds: int,
    now: dt.datetime,
) -> bool:
    """Count one request by ``client`` in ``scope``; False once past ``limit`` in this window."""
    cursor.execute(_UPSERT, [counter_key(scope, client), window_start(now, window_seconds)])
    row = cursor.fetchone()
    return int(row[0]) <= limit
