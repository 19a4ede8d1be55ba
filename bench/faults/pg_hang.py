"""Fault: a PostgreSQL host that stops answering without refusing, for 30 s under load.

Run (as root: the cluster runs as nobody): .venv/bin/python bench/faults/pg_hang.py
    [--clients 6] [--freeze 30] [--stall 5]      (--stall 0: the watchdog off, for comparison)

1. A private PostgreSQL cluster (bench/faults/common.py), migrated and seeded; ``ketaclinic
   serve`` (gunicorn, persistent connections) in front, with KETACLINIC_DB_STALL_SECONDS=--stall.
2. The chair clients POST readings (observation notes, one form token each, the token as text)
   as fast as they can; an answer other than 201 (or 409, the twin of a reading already
   recorded) makes the client wait 1 s and resend the same reading with the same token.
3. After --before seconds every process of the cluster is SIGSTOPped (the postmaster and each
   backend: their kernel still accepts and acknowledges the bytes, as for a hung VM) for --freeze
   seconds, then SIGCONTed, and the load goes on for --after seconds.
4. Reported: the longest request, the answers by status while frozen, the 503s' words (and how
   many said the reading "may have been saved"), the first reading recorded after the thaw,
   readings lost or recorded twice, readings without their audit event, and the chains.
"""

from __future__ import annotations

import argparse
import os
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

WORDS = b"database can&#x27;t be reached"
MAYBE = b"may have been saved"
# (start, seconds, status, Retry-After present, the page's words, "may have been saved")
Entry = tuple[float, float, int, bool, bool, bool]


def client(  # noqa: PLR0917 - a thread target, one call site
    index: int,
    server: Server,
    cookie: str,
    session_id: int,
    ledger: Ledger,
    stop: threading.Event,
    log: list[Entry],
) -> None:
    csrf = csrf_for(server.port, cookie, session_id)
    if csrf is None:
        raise SystemExit("the session page did not open")
    n = 0
    token = f"hang{index:03d}x{n:010d}"
    while True:
        with ledger.lock:
            ledger.sent.add(token)
        started = time.perf_counter()
        out = post_note(server.port, cookie, csrf, session_id, token, timeout=120)
        entry = (
            started,
            out.seconds,
            out.status,
            bool(out.retry_after),
            WORDS in out.body,
            MAYBE in out.body,
        )
        with ledger.lock:
            log.append(entry)
        if out.status in {201, 409}:
            with ledger.lock:
                ledger.acknowledged.add(token)
            if stop.is_set():
                return
            n += 1
            token = f"hang{index:03d}x{n:010d}"
        else:
            if out.status not in {0, 503}:
                print(f"  unexpected answer {out.status}: {out.body[:300]!r}")
            time.sleep(1.0)


def report(args: argparse.Namespace, log: list[Entry], frozen_at: float, thawed_at: float) -> None:
    while_frozen = [x for x in log if x[0] + x[1] >= frozen_at and x[0] <= thawed_at]
    by_status: dict[int, int] = {}
    for x in while_frozen:
        by_status[x[2]] = by_status.get(x[2], 0) + 1
    answered_frozen = [x for x in while_frozen if x[0] + x[1] < thawed_at]
    unavailable = [x for x in while_frozen if x[2] == 503]
    longest = max(log, key=lambda x: x[1])
    first_after = min(
        (x[0] + x[1] for x in log if x[2] in {201, 409} and x[0] + x[1] >= thawed_at), default=0
    )
    print(
        table(
            [
                ("clients / server workers x threads", f"{args.clients} / {args.workers} x 4"),
                ("stall bound (KETACLINIC_DB_STALL_SECONDS)", args.stall or "off"),
                (
                    "longest request (started at, s after the freeze)",
                    f"{longest[1]:.2f} s ({longest[0] - frozen_at:+.1f} s), status {longest[2]}",
                ),
                ("requests overlapping the freeze, by status", dict(sorted(by_status.items()))),
                (
                    "of them answered while still frozen",
                    f"{len(answered_frozen)}, slowest "
                    f"{max((x[1] for x in answered_frozen), default=0):.2f} s",
                ),
                (
                    "503s with Retry-After / the words / 'may have been saved'",
                    f"{sum(x[3] for x in unavailable)} / {sum(x[4] for x in unavailable)} / "
                    f"{sum(x[5] for x in unavailable)} of {len(unavailable)}",
                ),
                ("first reading acknowledged after the thaw", f"{first_after - thawed_at:.2f} s"),
            ]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--freeze", type=float, default=30.0)
    parser.add_argument("--before", type=float, default=8.0)
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument("--stall", type=int, default=5, help="KETACLINIC_DB_STALL_SECONDS")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    os.environ["KETACLINIC_DB_STALL_SECONDS"] = str(args.stall)
    cluster = Cluster("hang")
    server = None
    try:
        cluster.create()
        env = environment(cluster.url(), SCRATCH / f"var-hang-{cluster.port}")
        migrate(env)
        cookies, session_ids, _ = seed(args.clients)
        server = Server(env, workers=args.workers)
        server.start()
        ledger = Ledger()
        stop = threading.Event()
        log: list[Entry] = []
        threads = [
            threading.Thread(
                target=client, args=(i, server, cookies[i], session_ids[i], ledger, stop, log)
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(args.before)
        frozen_at = time.perf_counter()
        cluster.freeze()
        time.sleep(args.freeze)
        cluster.thaw()
        thawed_at = time.perf_counter()
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(timeout=180)
        server.stop()

        print(
            f"PostgreSQL frozen (SIGSTOP) for {thawed_at - frozen_at:.0f} s under load "
            f"({time.strftime('%Y-%m-%d %H:%M')} UTC)"
        )
        report(args, log, frozen_at, thawed_at)
        present = notes_by_text(session_ids)
        lost = sorted(ledger.acknowledged - present.keys())
        duplicates = sorted(k for k, v in present.items() if v > 1)
        unacknowledged = sorted(present.keys() - ledger.acknowledged)
        without_event, without_row = half_written(session_ids)
        chains = verify_chains(env)
        print(
            table(
                [
                    ("resends after a failure", sum(1 for x in log if x[2] not in {201, 409})),
                    ("readings acknowledged", len(ledger.acknowledged)),
                    ("acknowledged and lost", len(lost)),
                    ("recorded twice or more", len(duplicates)),
                    ("recorded, never acknowledged", len(unacknowledged)),
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
        cluster.remove()


if __name__ == "__main__":
    main()
