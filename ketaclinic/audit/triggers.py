"""The SQLite append-only triggers (created by migration 0004; PostgreSQL's by 0002 and 0003).

``sqlite_flushable`` is for the test suite only: Django's ``flush`` (run after every transactional
test) empties tables with DELETE on SQLite, which the triggers refuse, as they should anywhere else.
PostgreSQL's flush uses TRUNCATE, which row triggers do not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

AUDIT_TABLES = ("audit_auditevent", "audit_signature")


def sqlite_trigger_sql(table: str, op: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op.upper()} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit events are append-only: {op.upper()} refused "
        f"on {table}'); END"
    )


def _drop(table: str, op: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()}"


@contextmanager
def sqlite_flushable() -> Iterator[None]:
    """While active, SQLite ``flush`` drops the audit triggers around its DELETEs and restores them."""
    from django.db import connections

    if connections["default"].vendor != "sqlite":
        yield
        return
    operations = type(connections["default"].ops)
    original = operations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements: list[str] = original(self, style, tables, **kwargs)
        audit = [t for t in AUDIT_TABLES if t in tables]
        if not audit:
            return statements
        ops = ("UPDATE", "DELETE")
        return [
            *(_drop(t, op) for t in audit for op in ops),
            *statements,
            *(sqlite_trigger_sql(t, op) for t in audit for op in ops),
        ]

    operations.sql_flush = sql_flush  # type: ignore[method-assign]
    try:
        yield
    finally:
        operations.sql_flush = original  # type: ignore[method-assign]
