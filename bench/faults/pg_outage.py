"""Fault: PostgreSQL stopped for 30 s under load.

Run: .venv/bin/python bench/faults/pg_outage.py [--clients 6] [--outage 30] [--mode fast]

1. A private PostgreSQL cluster (bench/faults/common.py), migrated and seeded; ``ketaclinic
   serve`` (gunicorn) in front of it, with its persistent connections (CONN_MAX_AGE 300 s).
2. The chair clients POST readings (observation notes, each with its own form token, the token
   also the note's text) as fast as they can. An answer other than 201 (or 409, the twin of a
   reading already recorded) makes the client wait 1 s and send the same reading again with the
   same token: the retry after the outage must give exactly one record.
3. After --before seconds the cluster is stopped (``pg_ctl stop -m fast``: the server's
   connections are cut; ``immediate``: a crash) for --outage seconds, then started again, and the
   load goes on for --after seconds.
4. Reported: the answers during the outage by status and their latency (the slowest one is the
   figure: a request must fail within a few seconds, not hang), whether each 503 carried
   Retry-After and the words of the page, how long after the restart the first reading was
   recorded, readings lost or recorded twice, and ``ketaclinic audit verify``/``ledger verify``.
"""

from __future__ import annotations

import argparse
import threading
import time

from common import (
    SCRATCH,
    Cluster,
    Ledger,
    Server,
    csrf_for,
    environment,
    load_average,
    migrate,
    notes_by_text,
    post_note,
    seed,
    table,
    verify_chains,
)

WORDS = b"database can&#x27;t be reached"


def client(  # noqa: PLR0917 - a thread target, one call site
    index: int,
    server: Server,
    cookie: str,
    session_id: int,
    ledger: Ledger,
    stop: threading.Event,
    log: list[tuple[float, float, int, bool, bool]],
) -> None:
    """``log``: (start, seconds, status, Retry-After present, the page's words present)."""
    csrf = csrf_for(server.port, cookie, session_id)
    if csrf is None:
        raise SystemExit("the session page did not open")
    n = 0
    token = f"outage{index:03d}x{n:010d}"
    while True:
        with ledger.lock:
            ledger.sent.add(token)
        started = time.perf_counter()
        out = post_note(server.port, cookie, csrf, session_id, token, timeout=60)
        with ledger.lock:
            log.append((started, out.seconds, out.status, bool(out.retry_after), WORDS in out.body))
        if out.status in {201, 409}:
            with ledger.lock:
                ledger.acknowledged.add(token)
            if stop.is_set():
                return
            n += 1
            token = f"outage{index:03d}x{n:010d}"
        else:
            time.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--before", type=float, default=8.0)
    parser.add_argument("--after", type=float, default=10.0)
    parser.add_argument(
        "--mode",
        choices=["fast", "immediate", "freeze"],
        default="fast",
        help="pg_ctl stop -m fast or immediate; freeze: SIGSTOP every server process",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    cluster = Cluster("outage")
    server = None
    try:
        cluster.create()
        env = environment(cluster.url(), SCRATCH / f"var-outage-{cluster.port}")
        migrate(env)
        cookies, session_ids, _ = seed(args.clients)
        server = Server(env, workers=args.workers)
        server.start()
        ledger = Ledger()
        stop = threading.Event()
        log: list[tuple[float, float, int, bool, bool]] = []
        threads = [
            threading.Thread(
                target=client, args=(i, server, cookies[i], session_ids[i], ledger, stop, log)
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(args.before)
        down_at = time.perf_counter()
        if args.mode == "freeze":
            cluster.freeze()
        else:
            cluster.stop(args.mode)
        stopped_at = time.perf_counter()
        time.sleep(max(0.0, args.outage - (stopped_at - down_at)))
        if args.mode == "freeze":
            cluster.thaw()
        else:
            cluster.start()
        up_at = time.perf_counter()
        time.sleep(args.after)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        server.stop()

        during = [x for x in log if stopped_at <= x[0] and x[0] + x[1] <= up_at]
        in_flight = [x for x in log if x[0] < stopped_at < x[0] + x[1]]
        spanning = [x for x in log if x[0] < up_at < x[0] + x[1] and x[0] >= stopped_at]
        failures = [x for x in during if x[2] not in {201, 409}]
        by_status: dict[int, int] = {}
        for x in during:
            by_status[x[2]] = by_status.get(x[2], 0) + 1
        unavailable = [x for x in failures if x[2] == 503]
        first_after = min((x[0] + x[1] for x in log if x[2] == 201 and x[0] >= up_at), default=0)
        present = notes_by_text(session_ids)
        lost = sorted(ledger.acknowledged - present.keys())
        duplicates = sorted(k for k, v in present.items() if v > 1)
        chains = verify_chains(env)
        retries = sum(1 for x in log if x[2] not in {201, 409})
        print(
            f"PostgreSQL stopped ({args.mode}) for {up_at - down_at:.0f} s under load "
            f"({time.strftime('%Y-%m-%d %H:%M')})"
        )
        worst = max((x[1] for x in failures), default=0.0)
        median = sorted(x[1] for x in failures)[len(failures) // 2] if failures else 0.0
        print(
            table(
                [
                    ("clients / server workers", f"{args.clients} / {args.workers}"),
                    (
                        "in flight at the stop: statuses, slowest",
                        f"{sorted(x[2] for x in in_flight)}, "
                        f"{max((x[1] for x in in_flight), default=0):.1f} s",
                    ),
                    (
                        "sent while down, answered after the start",
                        f"{len(spanning)}, slowest "
                        f"{max((x[1] for x in spanning), default=0):.1f} s",
                    ),
                    ("answers while it was down, by status", dict(sorted(by_status.items()))),
                    (
                        "failed answers: median / slowest",
                        f"{median * 1000:.0f} ms / {worst * 1000:.0f} ms",
                    ),
                    (
                        "503s with Retry-After / with the words",
                        f"{sum(x[3] for x in unavailable)} / {sum(x[4] for x in unavailable)}"
                        f" of {len(unavailable)}",
                    ),
                    (
                        "first reading recorded after the start",
                        f"{first_after - up_at:.2f} s after",
                    ),
                    ("resends with the same token", retries),
                    ("readings acknowledged", len(ledger.acknowledged)),
                    ("acknowledged and lost", len(lost)),
                    ("recorded twice or more", len(duplicates)),
                    ("ketaclinic audit verify", chains["audit"]),
                    ("ketaclinic ledger verify", chains["ledger"]),
                    ("load average (1, 5, 15 min)", load_average()),
                ]
            )
        )
        if lost or duplicates or chains["audit"] != "ok" or chains["ledger"] != "ok":
            raise SystemExit("FAILED")
    finally:
        if server is not None:
            server.kill9()
        cluster.remove()


if __name__ == "__main__":
    main()
