"""Benchmark (not a test): patient search over a clinic of N patients, on SQLite or PostgreSQL.

Run: ``.venv/bin/python bench/patient_search.py`` (options: ``--patients``, ``--repeat``,
``--database``; default a scratch SQLite file, removed afterwards; for PostgreSQL give
``--database postgres://postgres@127.0.0.1:5432`` and a scratch database is created and dropped).

What is timed (best of N, all rows of the first page fetched): ``patients.selectors.patient_search``,
which matches every word of the query inside the stored search key (``search_name LIKE '%word%'``,
case folded and without accents for any script: issue 14, finding 11). The baseline, measured in the
same run, is the search it replaced: ``istartswith`` on given, family and preferred name (ASCII-only
case folding on SQLite, and no match inside names).

Patients are inserted with ``bulk_create`` (this scratch database only; the application registers
patients through ``patient_create``, one audited transaction each).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GIVEN = ("Élodie", "Σοφία", "Дмитрий", "Quinn", "Anna-Maria", "Rowan", "Zoë", "Mateo", "Aiko")
FAMILY = ("Brontë", "Παπαδοπούλου", "Иванов", "Larkmoor", "McAllister", "Ørsted", "Oakhaven")
QUERIES = ("ÉLODIE", "allis", "quinn lark", "иванов", "zzz-none")


def best_of(n: int, call: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(n):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="", help="a PostgreSQL server URL; default SQLite")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.setdefault("KETACLINIC_VAR_DIR", scratch)
        if not args.database:
            os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
            run(args)
            return
        import psycopg

        name = f"ketaclinic_bench_search_{os.getpid()}"
        admin_url = f"{args.database}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{args.database}/{name}"
        try:
            run(args)
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    import re

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from ketaclinic import testing
    from ketaclinic.patients import rules, selectors
    from ketaclinic.patients.models import Patient

    call_command("migrate", verbosity=0)
    clinic = testing.make_clinic("bench", "Bench Clinic")
    member = testing.make_member(clinic, "bench_front", "front_desk")
    rng = random.Random(14)
    patients = []
    for n in range(args.patients):
        given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}{n}"
        patients.append(
            Patient(
                clinic=clinic,
                mrn=f"B{n:06d}",
                given_name=given,
                family_name=family,
                date_of_birth=datetime.date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
                sex="unknown",
                search_name=rules.search_key(given, family),
            )
        )
    Patient.objects.bulk_create(patients, batch_size=2000)

    def new(query: str) -> int:
        return len(list(selectors.patient_search(membership=member, query=query)[:25]))

    def old(query: str) -> int:  # the search before issue 14
        qs = Patient.objects.filter(clinic_id=member.clinic_id, is_archived=False)
        condition = Q(mrn__iexact=query)
        name_condition = Q()
        for word in [w for w in re.split(r"[\s,]+", query) if w]:
            condition |= Q(mrn__istartswith=word)
            name_condition &= (
                Q(family_name__istartswith=word)
                | Q(given_name__istartswith=word)
                | Q(preferred_name__istartswith=word)
            )
        found = qs.filter(condition | name_condition).order_by("family_name", "given_name")
        return len(list(found[:25]))

    print(
        f"# patient search, {args.patients:,} patients, {connection.vendor}, best of "
        f"{args.repeat}; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print("| query | search key (ms, rows) | old istartswith (ms, rows) | ratio |")
    print("|---|---|---|---|")
    for query in QUERIES:
        new_ms = best_of(args.repeat, lambda q=query: new(q)) * 1000  # type: ignore[misc]
        old_ms = best_of(args.repeat, lambda q=query: old(q)) * 1000  # type: ignore[misc]
        print(
            f"| {query} | {new_ms:.1f} ({new(query)}) | {old_ms:.1f} ({old(query)}) | "
            f"{new_ms / old_ms:.2f} |"
        )


if __name__ == "__main__":
    main()
