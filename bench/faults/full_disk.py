"""Fault: the database's disk fills up during writes (SQLite file, PostgreSQL tablespace).

Run (as root, for mount): .venv/bin/python bench/faults/full_disk.py [--engine both]
    [--clients 4] [--full 15] [--size-mb 64]

For each engine:
1. A small tmpfs (``mount -t tmpfs -o size=--size-mb``) holds the database: for SQLite the
   database file and its WAL; for PostgreSQL a tablespace of a private cluster
   (bench/faults/common.py) holding the whole database (the cluster's WAL stays on the big disk:
   a full WAL disk stops PostgreSQL itself, which is the outage pg_outage.py covers).
2. Migrated and seeded on the tmpfs; ``ketaclinic serve`` in front.
3. The chair clients POST readings (observation notes, one form token each, the token as text),
   resending an unacknowledged one with its token after 1 s.
4. After 3 s a filler file takes every free byte of the tmpfs; after --full seconds it is deleted.
5. Reported: the answers while full (statuses, the page's words), the first reading recorded
   after space came back, readings lost or recorded twice, readings without their audit event or
   events without their reading (a half-written entry), and ``audit verify``/``ledger verify``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import (
    SCRATCH,
    Cluster,
    Ledger,
    Server,
    csrf_for,
    environment,
    half_written,
    load_average,
    migrate,
    notes_by_text,
    post_note,
    seed,
    table,
    verify_chains,
)

WORDS = b"can&#x27;t store anything right now"


def client(  # noqa: PLR0917 - a thread target, one call site
    index: int,
    server: Server,
    cookie: str,
    session_id: int,
    ledger: Ledger,
    stop: threading.Event,
    log: list[tuple[float, float, int, bool]],
) -> None:
    csrf = csrf_for(server.port, cookie, session_id)
    if csrf is None:
        raise SystemExit("the session page did not open")
    n = 0
    token = f"disk{index:03d}x{n:010d}"
    while True:
        with ledger.lock:
            ledger.sent.add(token)
        started = time.perf_counter()
        out = post_note(server.port, cookie, csrf, session_id, token, timeout=60)
        with ledger.lock:
            log.append((started, out.seconds, out.status, WORDS in out.body))
        if out.status in {201, 409}:
            with ledger.lock:
                ledger.acknowledged.add(token)
            if stop.is_set():
                return
            n += 1
            token = f"disk{index:03d}x{n:010d}"
        else:
            if out.status not in {0, 503}:
                print(f"  unexpected answer {out.status}: {out.body[:300]!r}")
            time.sleep(1.0)


def fill(mount: Path) -> Path:
    """Take every free byte of ``mount`` with one file."""
    filler = mount / "filler"
    with filler.open("wb", buffering=0) as f:
        for size in (1 << 20, 4096, 512):
            block = b"\0" * size
            while True:
                try:
                    f.write(block)
                except OSError:
                    break
    return filler


def run(engine: str, args: argparse.Namespace) -> None:
    mount = SCRATCH / f"disk-{engine}-{os.getpid()}"
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed program
        ["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", str(mount)],  # noqa: S607
        check=True,
    )
    cluster = None
    server = None
    try:
        if engine == "sqlite":
            url = f"sqlite:///{mount / 'ketaclinic.sqlite3'}"
        else:
            cluster = Cluster("disk")
            cluster.create()
            (mount / "ts").mkdir()
            os.chown(mount / "ts", 65534, 65534)  # nobody, who runs the cluster
            import psycopg

            with psycopg.connect(cluster.url(), autocommit=True) as admin:
                admin.execute(f"CREATE TABLESPACE small LOCATION '{mount / 'ts'}'")
                admin.execute("CREATE DATABASE faults TABLESPACE small")
            url = cluster.url("faults")
        env = environment(url, SCRATCH / f"var-disk-{engine}-{os.getpid()}")
        migrate(env)
        cookies, session_ids, _ = seed(args.clients)
        server = Server(env, workers=2)
        server.start()
        ledger = Ledger()
        stop = threading.Event()
        log: list[tuple[float, float, int, bool]] = []
        threads = [
            threading.Thread(
                target=client, args=(i, server, cookies[i], session_ids[i], ledger, stop, log)
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(3)
        filler = fill(mount)
        full_at = time.perf_counter()
        time.sleep(args.full)
        filler.unlink()
        freed_at = time.perf_counter()
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        server.stop()
        while_full = [x for x in log if full_at <= x[0] and x[0] + x[1] <= freed_at]
        by_status: dict[int, int] = {}
        for x in while_full:
            by_status[x[2]] = by_status.get(x[2], 0) + 1
        refused = [x for x in while_full if x[2] == 503]
        first_after = min((x[0] + x[1] for x in log if x[2] == 201 and x[0] >= freed_at), default=0)
        present = notes_by_text(session_ids)
        lost = sorted(ledger.acknowledged - present.keys())
        duplicates = sorted(k for k, v in present.items() if v > 1)
        without_event, without_row = half_written(session_ids)
        chains = verify_chains(env)
        where = "database file" if engine == "sqlite" else "tablespace"
        print(
            f"full disk under the {engine} {where} ({args.size_mb} MB tmpfs, "
            f"{time.strftime('%Y-%m-%d %H:%M')})"
        )
        print(
            table(
                [
                    ("answers while full, by status", dict(sorted(by_status.items()))),
                    ("503s with the words", f"{sum(x[3] for x in refused)} of {len(refused)}"),
                    (
                        "slowest answer while full",
                        f"{max((x[1] for x in while_full), default=0):.2f} s",
                    ),
                    ("first reading after space came back", f"{first_after - freed_at:.2f} s"),
                    ("readings acknowledged", len(ledger.acknowledged)),
                    ("acknowledged and lost", len(lost)),
                    ("recorded twice or more", len(duplicates)),
                    ("readings without their audit event", without_event),
                    ("audit events without their reading", without_row),
                    ("ketaclinic audit verify", chains["audit"]),
                    ("ketaclinic ledger verify", chains["ledger"]),
                    ("load average (1, 5, 15 min)", load_average()),
                ]
            )
        )
        if lost or duplicates or without_event or without_row or "FAILED" in str(chains):
            raise SystemExit("FAILED")
    finally:
        if server is not None:
            server.kill9()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()  # this process's own connection holds the file open
        if cluster is not None:
            cluster.remove()
        for attempt in range(20):  # the killed workers may hold the files a moment longer
            lazy = ["-l"] if attempt == 19 else []
            if subprocess.run(["umount", *lazy, str(mount)], check=False).returncode == 0:  # noqa: S603, S607
                break
            time.sleep(0.5)
        with contextlib.suppress(OSError):
            mount.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--full", type=float, default=15.0, help="seconds with the disk full")
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument("--size-mb", type=int, default=64)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("mount -t tmpfs needs root (or see docs/reliability.md for RLIMIT_FSIZE)")
    if args.engine != "both":
        run(args.engine, args)
        return
    # One process per engine: Django's settings (DATABASE_URL) are read once per process.
    for engine in ("sqlite", "postgresql"):
        rest = [a for a in sys.argv[1:] if not a.startswith("--engine") and a != "both"]
        subprocess.run([sys.executable, __file__, "--engine", engine, *rest], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
