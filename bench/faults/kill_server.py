"""Fault: kill -9 of the application server during a stream of writes, on PostgreSQL.

Run: .venv/bin/python bench/faults/kill_server.py [--clients 6] [--kills 12] [--every 2.5]

1. A private PostgreSQL cluster (bench/faults/common.py), migrated and seeded: a clinic, one nurse
   and one dosed session per client.
2. ``ketaclinic serve`` (gunicorn: master + --workers workers) in its own process group.
3. Each chair client POSTs readings (observation notes through the chair's htmx form, each with its own
   form token, the token also as the note's text) as fast as it can. A reading is acknowledged by
   a 201 (or a 409: the twin of one already recorded). A reading without an answer (the server
   died) is sent again with the same token once the server is back, as the page's form would be.
   One stock client meanwhile records witnessed stock receipts through the receive form (two
   vials, two ledger entries each; the invoice number is the form token); a witness's 6-digit code
   is accepted once, so it sends about one receipt per witness per 30 s (--witnesses). A receipt
   is acknowledged by its redirect (302, also for the twin of one already recorded).
4. Every --every seconds (+-50 %) the whole process group (master and workers) gets SIGKILL, and a
   new server starts.
5. Afterwards: every acknowledged reading and receipt is present, none is present twice, every
   receipt has its two ledger entries, and
   ``ketaclinic audit verify`` and ``ketaclinic ledger verify`` pass.
"""

from __future__ import annotations

import argparse
import random
import threading
import time

from common import (
    SCRATCH,
    Cluster,
    Ledger,
    Server,
    StockDesk,
    WitnessPool,
    csrf_for,
    environment,
    load_average,
    migrate,
    notes_by_text,
    post_note,
    post_receipt,
    receipts_by_invoice,
    receive_form,
    seed,
    table,
    verify_chains,
)


def client(  # noqa: PLR0917 - a thread target, one call site
    index: int,
    server: Server,
    cookie: str,
    session_id: int,
    ledger: Ledger,
    stop: threading.Event,
    statuses: dict[int, int],
) -> None:
    csrf = None
    n = 0
    token = f"kill{index:03d}x{n:010d}"
    while True:
        if csrf is None:
            csrf = csrf_for(server.port, cookie, session_id)
            if csrf is None:
                if stop.is_set():
                    return
                time.sleep(0.2)
                continue
        with ledger.lock:
            ledger.sent.add(token)
        out = post_note(server.port, cookie, csrf, session_id, token, timeout=30)
        with ledger.lock:
            statuses[out.status] = statuses.get(out.status, 0) + 1
        if out.status in {201, 409}:
            with ledger.lock:
                ledger.acknowledged.add(token)
            if stop.is_set():
                return
            n += 1
            token = f"kill{index:03d}x{n:010d}"
        else:
            time.sleep(0.2)  # the server is down or restarting: send the same token again


def stock_client(  # noqa: PLR0917 - a thread target, one call site
    server: Server,
    desk: StockDesk,
    pool: WitnessPool,
    ledger: Ledger,
    stop: threading.Event,
    statuses: dict[int, int],
) -> None:
    csrf = None
    n = 0
    token = f"receipt{n:010d}x"
    while True:
        if stop.is_set() and token not in ledger.sent:
            return
        if csrf is None:
            # Also the check that the server answers again: a witness's code is spent only on
            # a request that has a server to go to.
            csrf = receive_form(server.port, desk.cookie)
            if csrf is None:
                time.sleep(0.2)
                continue
        witness = pool.take(threading.Event())
        assert witness is not None
        with ledger.lock:
            ledger.sent.add(token)
        out = post_receipt(server.port, desk, csrf, token, witness, timeout=30)
        with ledger.lock:
            statuses[out.status] = statuses.get(out.status, 0) + 1
        if out.status == 302:
            with ledger.lock:
                ledger.acknowledged.add(token)
            n += 1
            token = f"receipt{n:010d}x"
        elif out.status == 200:
            raise SystemExit(f"receipt refused: {out.body[:2000]!r}")
        else:
            csrf = None
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--every", type=float, default=2.5, help="seconds between kills (mean)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--witnesses", type=int, default=6, help="receipts per 30 s, at most")
    args = parser.parse_args()

    cluster = Cluster("kill")
    server = None
    try:
        cluster.create()
        env = environment(cluster.url(), SCRATCH / f"var-kill-{cluster.port}")
        migrate(env)
        cookies, session_ids, desk = seed(args.clients, witnesses=args.witnesses)
        assert desk is not None
        server = Server(env, workers=args.workers)
        server.start()
        ledger = Ledger()
        receipts = Ledger()
        stop = threading.Event()
        statuses: dict[int, int] = {}
        receipt_statuses: dict[int, int] = {}
        threads = [
            threading.Thread(
                target=client,
                args=(i, server, cookies[i], session_ids[i], ledger, stop, statuses),
            )
            for i in range(args.clients)
        ]
        threads.append(
            threading.Thread(
                target=stock_client,
                args=(server, desk, WitnessPool(desk.witnesses), receipts, stop, receipt_statuses),
            )
        )
        began = time.perf_counter()
        for t in threads:
            t.start()
        restarts: list[float] = []
        rng = random.Random(15)
        for _ in range(args.kills):
            time.sleep(args.every * rng.uniform(0.5, 1.5))
            server.kill9()
            t0 = time.perf_counter()
            server.start()  # a new port is not needed: the old sockets died with the group
            restarts.append(time.perf_counter() - t0)
        time.sleep(args.every)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.perf_counter() - began
        server.stop()
        present = notes_by_text(session_ids)
        lost = sorted(ledger.acknowledged - present.keys())
        duplicates = sorted(k for k, v in present.items() if v > 1)
        unanswered_present = sorted(present.keys() - ledger.acknowledged)
        stored = receipts_by_invoice("receipt")
        receipts_lost = sorted(receipts.acknowledged - stored.keys())
        receipts_twice = sorted(k for k, (n, _) in stored.items() if n > 1)
        half_receipts = sorted(k for k, (n, e) in stored.items() if e != 2 * n)
        chains = verify_chains(env)
        print(
            f"kill -9 of the application server on PostgreSQL ({time.strftime('%Y-%m-%d %H:%M')})"
        )
        print(
            table(
                [
                    ("clients / server workers", f"{args.clients} / {args.workers}"),
                    ("kills (master + workers, SIGKILL)", args.kills),
                    ("run time", f"{elapsed:.1f} s"),
                    ("restart to first answer, max", f"{max(restarts):.1f} s"),
                    ("readings sent (distinct tokens)", len(ledger.sent)),
                    ("acknowledged (201 or 409 twin)", len(ledger.acknowledged)),
                    ("answers by status (0: none)", dict(sorted(statuses.items()))),
                    ("acknowledged and lost", len(lost)),
                    ("present twice or more", len(duplicates)),
                    ("present, never acknowledged", len(unanswered_present)),
                    (
                        "receipts sent / acknowledged",
                        f"{len(receipts.sent)} / {len(receipts.acknowledged)}",
                    ),
                    ("receipt answers by status", dict(sorted(receipt_statuses.items()))),
                    (
                        "receipts lost / twice / not 2 entries",
                        f"{len(receipts_lost)} / {len(receipts_twice)} / {len(half_receipts)}",
                    ),
                    ("ketaclinic audit verify", chains["audit"]),
                    ("ketaclinic ledger verify", chains["ledger"]),
                    ("load average (1, 5, 15 min)", load_average()),
                ]
            )
        )
        if (
            lost
            or duplicates
            or receipts_lost
            or receipts_twice
            or half_receipts
            or chains["audit"] != "ok"
            or chains["ledger"] != "ok"
        ):
            raise SystemExit("FAILED")
    finally:
        if server is not None:
            server.kill9()
        cluster.remove()


if __name__ == "__main__":
    main()
