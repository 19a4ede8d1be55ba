"""Fault: PostgreSQL's own disk fills up during writes (its WAL, or its whole data directory).

Run (as root, for mount): .venv/bin/python bench/faults/pg_full_disk.py [--where wal|data|both]
    [--clients 4] [--full 20] [--size-mb 48]

For each place:
1. A small tmpfs holds the private cluster's WAL (``initdb --waldir``) or its whole data directory
   (WAL included); 1 MB WAL segments (``--wal-segsize 1``) so that a new segment is needed every
   few hundred readings. Migrated and seeded; ``ketaclinic serve`` in front.
2. The chair clients POST readings (observation notes, one form token each, the token as text),
   resending an unacknowledged one with its token after 1 s.
3. After 3 s a filler file takes every free byte of the tmpfs; after --full seconds it is deleted.
   If PostgreSQL is no longer running then, it is started again (``pg_ctl start``) and the report
   says so.
4. Reported: PostgreSQL's own words (the first PANIC/FATAL/ERROR about space in its log, whether
   the postmaster restarted or stopped), the answers while full (statuses, which 503 page, any
   traceback or 500), the first reading after space came back, readings lost or recorded twice,
   readings without their audit event or events without their reading, and the chains.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import threading
import time

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
from full_disk import fill

UNREACHABLE = b"database can&#x27;t be reached"
STORAGE = b"can&#x27;t store anything right now"
# (start, seconds, status, which 503 page: "unreachable", "storage" or "")
Entry = tuple[float, float, int, str]


def client(  # noqa: PLR0917 - a thread target, one call site
    index: int,
    server: Server,
    cookie: str,
    session_id: int,
    ledger: Ledger,
    stop: threading.Event,
    log: list[Entry],
    odd: list[bytes],
) -> None:
    csrf = csrf_for(server.port, cookie, session_id)
    if csrf is None:
        raise SystemExit("the session page did not open")
    n = 0
    token = f"pgdisk{index:03d}x{n:010d}"
    while True:
        with ledger.lock:
            ledger.sent.add(token)
        started = time.perf_counter()
        out = post_note(server.port, cookie, csrf, session_id, token, timeout=60)
        page = (
            "unreachable" if UNREACHABLE in out.body else "storage" if STORAGE in out.body else ""
        )
        with ledger.lock:
            log.append((started, out.seconds, out.status, page))
            if out.status not in {0, 201, 409, 503} or b"Traceback" in out.body:
                odd.append(out.body[:300])
        if out.status in {201, 409}:
            with ledger.lock:
                ledger.acknowledged.add(token)
            if stop.is_set():
                return
            n += 1
            token = f"pgdisk{index:03d}x{n:010d}"
        else:
            time.sleep(1.0)


def server_words(cluster: Cluster) -> list[str]:
    """PostgreSQL's log lines about the fault: space, PANIC, crash restart, shutdown."""
    try:
        text = (cluster.base / "server.log").read_text(errors="replace")
    except OSError:
        return []
    wanted = re.compile(
        r"PANIC|No space left|terminated by signal|all server processes terminated|"
        r"database system was interrupted|database system is ready|aborting startup|"
        r"shut down|startup process",
    )
    lines = [re.sub(r"^\S+ \S+ \S+ \[\d+\] ", "", line) for line in text.splitlines()]
    seen: list[str] = []
    for line in lines:
        if wanted.search(line) and line not in seen:
            seen.append(line)
    return seen[-14:]


def run(where: str, args: argparse.Namespace) -> None:  # noqa: PLR0912 - one linear scenario
    cluster = Cluster(f"pgdisk-{where}")
    mount = cluster.base / ("wal" if where == "wal" else "data")
    mount.mkdir(parents=True, exist_ok=True)
    os.chown(cluster.base, 65534, 65534)  # nobody, who runs the cluster
    subprocess.run(  # noqa: S603 - fixed program
        ["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", str(mount)],  # noqa: S607
        check=True,
    )
    os.chown(mount, 65534, 65534)
    os.chmod(mount, 0o700)
    server = None
    try:
        initdb = ["--wal-segsize", "1"]
        if where == "wal":
            initdb += ["--waldir", str(mount)]
        cluster.create(*initdb, min_wal_size="'4MB'", max_wal_size="'64MB'")
        env = environment(cluster.url(), SCRATCH / f"var-pgdisk-{where}-{os.getpid()}")
        migrate(env)
        cookies, session_ids, _ = seed(args.clients)
        server = Server(env, workers=2)
        server.start()
        ledger = Ledger()
        stop = threading.Event()
        log: list[Entry] = []
        odd: list[bytes] = []
        threads = [
            threading.Thread(
                target=client,
                args=(i, server, cookies[i], session_ids[i], ledger, stop, log, odd),
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
        time.sleep(1.0)
        restarted = ""
        if not cluster.running():
            cluster.start()
            restarted = f"yes: was down; pg_ctl start {time.perf_counter() - freed_at:.1f} s after"
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        server.stop()

        while_full = [x for x in log if full_at <= x[0] and x[0] + x[1] <= freed_at]
        by_status: dict[int, int] = {}
        pages: dict[str, int] = {}
        for x in while_full:
            by_status[x[2]] = by_status.get(x[2], 0) + 1
            if x[2] == 503:
                pages[x[3] or "other"] = pages.get(x[3] or "other", 0) + 1
        first_after = min(
            (x[0] + x[1] for x in log if x[2] == 201 and x[0] >= freed_at), default=freed_at
        )
        present = notes_by_text(session_ids)
        lost = sorted(ledger.acknowledged - present.keys())
        duplicates = sorted(k for k, v in present.items() if v > 1)
        without_event, without_row = half_written(session_ids)
        chains = verify_chains(env)
        app_log = server.log.read_text(errors="replace")
        # Django logs the exception (with its traceback, for the operator) as a 500 before the
        # middleware replaces the answer with the 503, which it logs again as "Service Unavailable".
        logged = (app_log.count("Internal Server Error"), app_log.count("Service Unavailable"))
        all_503 = sum(1 for x in log if x[2] == 503)
        place = "WAL (pg_wal)" if where == "wal" else "whole data directory"
        print(
            f"PostgreSQL's {place} on a full {args.size_mb} MB tmpfs for {args.full:.0f} s "
            f"({time.strftime('%Y-%m-%d %H:%M')} UTC)"
        )
        print("  PostgreSQL's log:")
        for line in server_words(cluster):
            print(f"    {line[:150]}")
        print(
            table(
                [
                    ("answers while full, by status", dict(sorted(by_status.items()))),
                    ("503 pages: which words", dict(sorted(pages.items()))),
                    ("500s or tracebacks seen by clients", len(odd)),
                    ("503s over the whole run", all_503),
                    ("app log: 'Internal Server Error' / 'Service Unavailable'", logged),
                    (
                        "slowest answer while full",
                        f"{max((x[1] for x in while_full), default=0):.2f} s",
                    ),
                    ("PostgreSQL needed a manual start after space came back", restarted or "no"),
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
        for body in odd[:3]:
            print(f"  odd answer: {body!r}")
        if lost or duplicates or without_event or without_row or "FAILED" in str(chains) or odd:
            raise SystemExit("FAILED")
    finally:
        if server is not None:
            server.kill9()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(subprocess.CalledProcessError):  # before unmounting under it
            cluster.stop("immediate")
        for attempt in range(20):
            lazy = ["-l"] if attempt == 19 else []
            if subprocess.run(["umount", *lazy, str(mount)], check=False).returncode == 0:  # noqa: S603, S607
                break
            time.sleep(0.5)
        cluster.remove()
        with contextlib.suppress(OSError):
            mount.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--where", choices=["wal", "data", "both"], default="both")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--full", type=float, default=20.0, help="seconds with the disk full")
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument("--size-mb", type=int, default=48)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("mount -t tmpfs needs root")
    if args.where != "both":
        run(args.where, args)
        return
    # One process per place: Django's settings (DATABASE_URL) are read once per process.
    for where in ("wal", "data"):
        rest = [a for a in sys.argv[1:] if not a.startswith("--where") and a != "both"]
        subprocess.run([sys.executable, __file__, "--where", where, *rest], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
