"""Load-independent figures for bench/load.py: CPU seconds of processes, database counters, and
the raw INSERT baseline."""

from __future__ import annotations

import os
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (from /proc; gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def db_counters(dsn: str) -> dict[str, Any]:
    """Commits of this database, and the CPU seconds of its server backends (same machine)."""
    import psycopg

    name = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        commits = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()
        pids = [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        ]
    return {"commits": int(commits[0]) if commits else 0, "cpu": cpu_seconds(pids)}
