"""Benchmarks of the controlled-substance ledger (issue 12).

Run: .venv/bin/python bench/ledger.py [--entries 1000000] [--years 2]
(uses a fresh SQLite file under /tmp unless DATABASE_URL is set; migrates it first).

1. ``ledger verify`` over one clinic's chain of N entries (default 1,000,000): entries per second,
   against a baseline measured in the same run: hashing the same bytes with hashlib alone (the
   chain's irreducible cost) and reading the same rows with the same query without hashing.
2. The dispensing and administration log of a busy clinic over two years (60 doses a day on 5
   days a week, each with its own entry, plus a receipt per vial): the full period, every row.

The ledger rows are written straight into the table (``executemany``), hashed with the ledger's own
function: the services would take hours for a million entries and are not what is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ketaclinic import testing


def setup(url: str | None) -> None:
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="ledger-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def world(code: str) -> dict[str, Any]:
    from ketaclinic.inventory import services
    from ketaclinic.inventory.models import Container, Receipt

    clinic = testing.make_clinic(code, f"Bench {code}")
    manager = testing.make_member(clinic, f"{code}-kim", "inventory_manager")
    nurse = testing.make_member(clinic, f"{code}-sam", "nurse")
    witness = testing.make_member(clinic, f"{code}-dana", "prescriber")
    products = services.catalogue_install(by=manager)
    location = services.location_create(by=manager, name="Safe", serves_sessions=True)
    from django.utils import timezone

    receipt = Receipt.objects.create(
        clinic=clinic,
        supplier_name="Bench Distribution",
        supplier_address="1 Bench Road",
        supplier_dea_number="RB1234563",
        invoice_number="B-1",
        received_on=dt.date(2024, 1, 1),
        product=products[0],
        lot_number="B",
        expiry_date=dt.date(2030, 1, 1),
        container_count=1,
        received_by=nurse.user,
        witnessed_by=witness.user,
        recorded_at=timezone.now(),
    )
    return {
        "clinic": clinic,
        "nurse": nurse,
        "witness": witness,
        "manager": manager,
        "product": products[0],
        "location": location,
        "receipt": receipt,
        "Container": Container,
    }


def write_ledger(
    w: dict[str, Any], plan: list[tuple[str, Decimal, dt.datetime, Any, int]], per_vial: int
) -> int:
    """Insert entries: ``plan`` rows are (kind, change, when, patient, vial index)."""
    from django.db import connection, transaction

    from ketaclinic.inventory.domain.chain import GENESIS, entry_hash
    from ketaclinic.inventory.models import LedgerEntry, LedgerHead
    from ketaclinic.inventory.services._common import HASHED_FIELDS

    vials = max(v for *_, v in plan) + 1
    containers = w["Container"].objects.bulk_create(
        w["Container"](
            clinic=w["clinic"],
            product=w["product"],
            receipt=w["receipt"],
            label=f"B-{i:07d}",
            lot_number="B",
            expiry_date=dt.date(2030, 1, 1),
            location=w["location"],
        )
        for i in range(vials)
    )
    fields = [f for f in LedgerEntry._meta.concrete_fields if f.column != "id"]
    columns = ", ".join(f.column for f in fields)
    sql = (
        f"INSERT INTO {LedgerEntry._meta.db_table} ({columns}) "  # noqa: S608 - our own names
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    prev = GENESIS
    batch: list[list[Any]] = []
    clinic_id, user_id = w["clinic"].pk, w["nurse"].user_id
    witness_id, location_id = w["witness"].user_id, w["location"].pk
    with transaction.atomic():
        for seq, (kind, change, when, patient, vial) in enumerate(plan, start=1):
            admin = kind == "administration"
            values: dict[str, Any] = {
                "clinic_id": clinic_id,
                "sequence": seq,
                "kind": kind,
                "container_id": containers[vial].pk,
                "change": change,
                "administered": -change if admin else None,
                "wasted": Decimal("0.000") if admin else None,
                "occurred_at": when,
                "recorded_at": when,
                "recorded_by_id": user_id,
                "witness_id": witness_id,
                "second_witness_id": None,
                "approved_by_id": None,
                "patient_id": patient.pk if patient is not None else None,
                "session_id": None,
                "receipt_id": w["receipt"].pk if kind == "receipt" else None,
                "location_id": location_id,
                "reverses_id": None,
                "note": "",
                "method": "",
            }
            values["prev_hash"] = prev
            values["hash"] = prev = entry_hash(prev, tuple(values[n] for n in HASHED_FIELDS))
            batch.append([f.get_db_prep_save(values[f.attname], connection) for f in fields])
            if len(batch) == 20_000:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
        LedgerHead.objects.update_or_create(
            clinic=w["clinic"], defaults={"last_sequence": len(plan), "last_hash": prev}
        )
    return len(plan)


def bench_verify(n: int) -> None:
    from ketaclinic.inventory.domain.chain import entry_bytes
    from ketaclinic.inventory.models import LedgerEntry
    from ketaclinic.inventory.services._common import HASHED_FIELDS
    from ketaclinic.inventory.verify import ledger_verify

    w = world("big")
    start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    plan = []
    per_vial = 50
    for i in range(n):
        vial, step = divmod(i, per_vial)
        when = start + dt.timedelta(seconds=30 * i)
        if step == 0:
            plan.append(("receipt", Decimal("500.000"), when, None, vial))
        else:
            plan.append(("administration", Decimal("-10.000"), when, None, vial))
    t0 = time.perf_counter()
    write_ledger(w, plan, per_vial)
    print(f"wrote {n:,} entries in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    result = ledger_verify(clinic_id=w["clinic"].pk)
    verify_s = time.perf_counter() - t0
    assert result.ok and result.entries == n, result

    rows = LedgerEntry.objects.filter(clinic_id=w["clinic"].pk).order_by("sequence")
    t0 = time.perf_counter()
    fetched = [r for r in rows.values_list(*HASHED_FIELDS, "prev_hash", "hash").iterator(10_000)]
    fetch_s = time.perf_counter() - t0
    payloads = [(r[-2], entry_bytes(r[:-2])) for r in fetched]
    t0 = time.perf_counter()
    for prev, payload in payloads:
        digest = hashlib.sha256(prev.encode("ascii"))
        digest.update(b"\n")
        digest.update(payload)
        digest.hexdigest()
    hash_s = time.perf_counter() - t0
    print(
        f"verify: {n:,} entries in {verify_s:.2f} s = {n / verify_s:,.0f} entries/s "
        f"(target >= 100,000)\n"
        f"  baseline, hashlib alone on the same bytes: {hash_s:.2f} s = {n / hash_s:,.0f}/s\n"
        f"  baseline, the same query without hashing: {fetch_s:.2f} s = {n / fetch_s:,.0f}/s"
    )


def bench_log(years: int) -> None:
    from ketaclinic.accounts.models import Membership
    from ketaclinic.inventory.selectors import administration_log

    w = world("busy")
    make = testing.patient_maker()
    patients = [make(w["nurse"]) for _ in range(300)]
    start = dt.datetime(2023, 1, 2, 13, tzinfo=dt.UTC)
    plan: list[tuple[str, Decimal, dt.datetime, Any, int]] = []
    vial = 0
    day = 0
    while day < 365 * years:
        when = start + dt.timedelta(days=day)
        if when.weekday() < 5:
            for k in range(60):
                t = when + dt.timedelta(minutes=8 * k)
                if k % 10 == 0:
                    vial += 1
                    plan.append(("receipt", Decimal("500.000"), t, None, vial))
                plan.append(("administration", Decimal("-45.000"), t, patients[k * 5 % 300], vial))
        day += 1
    write_ledger(w, plan, 0)
    doses = sum(1 for p in plan if p[0] == "administration")
    membership = Membership.objects.get(pk=w["manager"].pk)
    first = start.date()
    last = (start + dt.timedelta(days=365 * years)).date()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rows = list(administration_log(membership=membership, start=first, end=last))
        times.append(time.perf_counter() - t0)
    assert len(rows) == doses, (len(rows), doses)
    print(
        f"administration log: {years} years, {len(plan):,} entries, {doses:,} administrations "
        f"listed in {min(times):.2f} s (best of 3; runs {', '.join(f'{t:.2f}' for t in times)}; "
        "target < 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    setup(os.environ.get("DATABASE_URL"))
    from django.db import connection

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {connection.vendor}; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    bench_verify(args.entries)
    bench_log(args.years)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
