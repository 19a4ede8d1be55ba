"""Benchmark: chained audit commits per second, per-clinic heads vs one global head vs plain INSERT
(issue 10, finding 5).

Run: .venv/bin/python bench/audit_chain.py [--clients 16] [--clinics 16] [--seconds 15]
     [--admin-url postgres://postgres@127.0.0.1:5432/postgres] [--db ketaclinic_bench_audit]

1. Creates the scratch PostgreSQL database --db (dropped first if present, and at the end) and
   migrates it; seeds --clinics clinics.
2. Starts --clients processes (each its own connection). For --seconds each commits, one per
   transaction, as fast as it can:
   - ``per-clinic``: ``audit_record`` for clinic (client number mod --clinics): the real path, each
     clinic's chain under its own head lock;
   - ``global``: ``audit_record`` for events without a clinic: every client appends to the one
     system chain under one head lock, as every audited write did before issue 10;
   - ``plain``: a single-row INSERT of the same shape into a scratch table, no chain, no lock.
3. Verifies every chain, prints commits/s of each mode and the ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    os.environ.setdefault("KETACLINIC_VAR_DIR", "/tmp/ketaclinic_bench_audit_var")  # noqa: S108 - scratch
    import django

    django.setup()


def _worker(  # noqa: PLR0917 - a process target, called in one place
    url: str,
    mode: str,
    clinic_id: int,
    seconds: float,
    start_at: float,
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    _setup(url)
    from django.db import connection, transaction

    from ketaclinic.audit.models import EventType
    from ketaclinic.audit.services import audit_record

    while time.time() < start_at:
        time.sleep(0.005)
    deadline = start_at + seconds
    count = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    while time.time() < deadline:
        if mode == "plain":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_plain (event_time, event_type, clinic_id, extra, hash) "
                    "VALUES (now(), 'clinic.updated', %s, '{}', md5(random()::text))",
                    [clinic_id],
                )
        else:
            with transaction.atomic():
                audit_record(
                    event_type=EventType.CLINIC_UPDATED,
                    clinic_id=clinic_id if mode == "per-clinic" else None,
                    extra={"bench": count},
                )
        count += 1
    out.put(count)


def _run(url: str, mode: str, clients: int, clinic_ids: list[int], seconds: float) -> float:
    queue: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 2.0
    procs = [
        mp.Process(
            target=_worker,
            args=(url, mode, clinic_ids[i % len(clinic_ids)], seconds, start_at, queue),
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    total = sum(queue.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--clinics", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="ketaclinic_bench_audit")
    args = parser.parse_args()

    import psycopg

    admin = psycopg.connect(args.admin_url.replace("postgres://", "postgresql://"), autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
    admin.execute(f'CREATE DATABASE "{args.db}"')
    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.db
    env = {**os.environ, "DATABASE_URL": url}
    ketaclinic = os.path.join(ROOT, ".venv", "bin", "ketaclinic")
    try:
        subprocess.run([ketaclinic, "migrate", "-v0"], check=True, env=env)  # noqa: S603
        _setup(url)
        from django.db import connection, connections

        from ketaclinic.audit.verify import audit_chain_verify
        from ketaclinic.testing import make_clinic

        clinic_ids = [make_clinic(f"B{i:02d}", f"Bench clinic {i}").pk for i in range(args.clinics)]
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_plain (id bigserial PRIMARY KEY, event_time timestamptz, "
                "event_type varchar(64), clinic_id bigint, extra jsonb, hash varchar(64) UNIQUE)"
            )
        connections.close_all()

        results = {}
        for mode in ("plain", "global", "per-clinic"):
            results[mode] = _run(url, mode, args.clients, clinic_ids, args.seconds)
            print(f"{mode:>10}: {results[mode]:8.0f} commits/s", flush=True)
        result = audit_chain_verify()
        print(f"audit verify: ok={result.ok}, {result.events} events in {result.chains} chains")
        print(
            f"per-clinic / global = {results['per-clinic'] / results['global']:.2f}x; "
            f"plain / per-clinic = {results['plain'] / results['per-clinic']:.2f}x; "
            f"plain / global = {results['plain'] / results['global']:.2f}x"
        )
        print(
            f"{args.clients} clients, {args.clinics} clinics, {args.seconds:g} s per mode; "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"load average before: {os.getloadavg()}"
        )
        connections.close_all()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
