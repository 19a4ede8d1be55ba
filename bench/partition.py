"""Monthly range partitioning of the audit and observation tables on PostgreSQL (issue 15).

Not a production migration (docs/scaling.md says when to run it): the path, tested by
tests/test_partitioning.py on PostgreSQL, and measured here.

``partition_by_month(cursor, table, column)`` converts one table in the caller's transaction:
a new parent ``PARTITION BY RANGE (column)`` with the old table's columns, defaults, identity and
checks; one partition per month from the oldest row's month to ``months_ahead`` months after this
one, and a DEFAULT partition; the rows copied; the old table dropped; its primary key and unique
constraints recreated with the partition column added (PostgreSQL requires it), its other
indexes, its foreign keys and its triggers (the audit table's append-only trigger) recreated on the
parent, which PostgreSQL clones to every partition. It refuses a table that another table
references by foreign key. ``add_months`` creates the partitions of the coming months (a monthly
job would call it).

Run: .venv/bin/python bench/partition.py [--events 1000000] [--months 12]
  Creates a scratch database loadtest_part_<pid>, migrates it, inserts --events synthetic audit
  rows spread over --months months (raw SQL, for speed: their chain is not valid, so the chain
  check is the test's job), times the clinic audit report's query (one clinic, one day) and the
  audit page's (one clinic's latest 50) before and after the conversion, with EXPLAIN's count of
  partitions scanned, and drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

TABLES = {"audit_auditevent": "event_time", "treatment_observation": "measured_at"}


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def _create_partitions(
    cursor: Any, table: str, months: list[dt.date], *, name: str | None = None
) -> int:
    """One partition of ``table`` per month, named after ``name`` (the table's final name)."""
    made = 0
    for m in months:
        nxt = (m + dt.timedelta(days=32)).replace(day=1)
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {name or table}_p{m:%Y_%m} PARTITION OF {table} "
            f"FOR VALUES FROM ('{m.isoformat()}') TO ('{nxt.isoformat()}')"
        )
        made += 1
    return made


def add_months(cursor: Any, table: str, *, today: dt.date, months_ahead: int = 2) -> int:
    """The partitions of this month and the next ``months_ahead`` (idempotent)."""
    last = today
    for _ in range(months_ahead):
        last = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return _create_partitions(cursor, table, _months(today, last))


def partition_by_month(
    cursor: Any, table: str, column: str, *, today: dt.date, months_ahead: int = 2
) -> int:
    """Convert ``table`` (see the module docstring); returns the number of month partitions."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER TABLE
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    if cursor.fetchall():
        raise ValueError(f"{table} is referenced by a foreign key; partitioning it needs more")
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
        "AND NOT tgisinternal",
        [table],
    )
    triggers = [r[0] for r in cursor.fetchall()]
    cursor.execute(f"SELECT min({column}) FROM {table}")  # noqa: S608 - fixed names
    oldest = cursor.fetchone()[0]
    first = (oldest.date() if oldest else today).replace(day=1)

    new = f"{table}__part"
    cursor.execute(
        f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING GENERATED INCLUDING CONSTRAINTS) PARTITION BY RANGE ({column})"
    )
    last = today
    for _ in range(months_ahead):
        last = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    made = _create_partitions(cursor, new, _months(first, last), name=table)
    cursor.execute(f"CREATE TABLE {table}_pdefault PARTITION OF {new} DEFAULT")
    cursor.execute(f"INSERT INTO {new} OVERRIDING SYSTEM VALUE SELECT * FROM {table}")  # noqa: S608
    cursor.execute(f"DROP TABLE {table}")  # its triggers refuse UPDATE and DELETE, not DROP
    cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
        f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
    )
    for name, kind, definition in constraints:
        # The partition key must be part of every primary key and unique constraint.
        sql = re.sub(r"\)$", f", {column})", definition, count=1) if kind in "pu" else definition
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}')
    for _, definition in indexes:
        cursor.execute(definition.replace(" ON public.", " ON ").replace(" ON ONLY ", " ON "))
    for definition in triggers:
        cursor.execute(definition)
    return made


def _timed(cursor: Any, sql: str, params: list[Any], repeat: int = 5) -> tuple[float, int]:
    """Best of ``repeat`` in ms, and the number of table scans EXPLAIN shows."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        best = min(best, (time.perf_counter() - t0) * 1000)
    cursor.execute("EXPLAIN " + sql, params)
    plan = "\n".join(r[0] for r in cursor.fetchall())
    return best, len(re.findall(r"Scan (?:using \S+ )?on audit_auditevent", plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    import subprocess

    import psycopg

    root = Path(__file__).resolve().parent.parent
    name = f"loadtest_part_{os.getpid()}"
    dsn = f"{args.admin_url.rsplit('/', 1)[0]}/{name}"
    admin = psycopg.connect(args.admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": dsn, "DJANGO_SETTINGS_MODULE": "ketaclinic.settings"}
        ketaclinic = str(root / ".venv" / "bin" / "ketaclinic")
        subprocess.run([ketaclinic, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
        os.environ.update(env)
        sys.path.insert(0, str(root))
        import django

        django.setup()
        from ketaclinic import testing

        for n in range(20):
            testing.make_clinic(f"c{n}", f"Clinic {n}", "UTC")
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.cursor()
            t0 = time.perf_counter()
            # Synthetic rows (ids only, as the policy stores): 20 clinics, spread over the months.
            cur.execute(
                "INSERT INTO audit_auditevent (event_time, event_type, actor_username, role, "
                "object_type, object_id, reason, extra, request_id, prev_hash, hash, chain, seq, "
                "clinic_id) SELECT now() - (g::float / %s * %s * interval '30 days'), "
                "'record_viewed', 'u', 'nurse', 'patient', g::text, '', '{}', '', '', "
                "md5(g::text) || md5(g::text), 'c' || (g %% 20 + 1), g, "
                "(SELECT min(id) FROM accounts_clinic) + g %% 20 FROM generate_series(1, %s) g",
                [args.events, args.months, args.events],
            )
            cur.execute("ANALYZE audit_auditevent")
            print(
                f"{args.events} audit rows over {args.months} months in "
                f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}"
            )
            cur.execute("SELECT min(id) FROM accounts_clinic")
            clinic = cur.fetchone()[0]
            day = (
                "SELECT event_type, count(*) FROM audit_auditevent WHERE clinic_id = %s AND "
                "event_time >= now() - interval '2 days' AND event_time < now() - "
                "interval '1 day' GROUP BY event_type"
            )
            page = (
                "SELECT * FROM audit_auditevent WHERE clinic_id = %s "
                "ORDER BY event_time DESC, id DESC LIMIT 50"
            )
            month = (
                "SELECT count(*) FROM audit_auditevent WHERE event_time >= now() - "
                "interval '30 days'"
            )
            queries = {
                "report day (one clinic)": day,
                "audit page (latest 50)": page,
                "last 30 days (all clinics)": month,
            }
            before = {k: _timed(cur, q, [clinic] if "%s" in q else []) for k, q in queries.items()}
            t0 = time.perf_counter()
            with conn.transaction():
                made = partition_by_month(
                    cur, "audit_auditevent", "event_time", today=dt.datetime.now(dt.UTC).date()
                )
            took = time.perf_counter() - t0
            cur.execute("ANALYZE audit_auditevent")
            after = {k: _timed(cur, q, [clinic] if "%s" in q else []) for k, q in queries.items()}
            print(f"converted into {made} month partitions + default in {took:.1f} s")
            print(
                f"{'query':<28}{'before ms':>10}{'scans':>6}{'after ms':>10}{'scans':>6}{'ratio':>7}"
            )
            for k in queries:
                (b, bs), (a, as_) = before[k], after[k]
                print(f"{k:<28}{b:>10.1f}{bs:>6}{a:>10.1f}{as_:>6}{a / b:>7.2f}")
            print(f"load average at the end {os.getloadavg()[0]:.1f} (2 CPUs)")
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
