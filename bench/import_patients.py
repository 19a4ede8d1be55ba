"""Benchmark: `ketaclinic import patients` of N rows on SQLite (issue 13; target 100,000 rows in
under 30 s), against a plain bulk INSERT of the same rows measured in the same run.

Run: .venv/bin/python bench/import_patients.py [--rows 100000] [--responses 0]

A scratch SQLite file in a temporary folder is migrated; one clinic and one prescriber are made.
1. Baseline: ``Patient.objects.bulk_create`` of N rows in chunks of 1,000 (no validation, no audit),
   into a second clinic.
2. The import: the CSV file of N synthetic rows (every column filled, weight on every row) through
   ``research.imports.import_patients`` (the patients form and rules per row, duplicate MRNs,
   bulk_create in chunks, one audit event per chunk).
3. With --responses M: M PHQ-9 rows through ``import_responses`` (scored per row).
Prints rows/s for each and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

HEADER = [
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "address_line",
    "city",
    "state",
    "postal_code",
    "weight_kg",
]


def synthetic_rows(n: int, seed: int = 13) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 60 * 365))
        rows.append(
            [
                f"B{i:07d}",
                f"Given{i}",
                f"Family{i}",
                born.isoformat(),
                rng.choice(["female", "male", "intersex", "unknown"]),
                f"p{i}@example.org",
                f"+1 617 555 {i % 10000:04d}",
                f"{i} Synthetic Way",
                "Boston",
                "MA",
                f"{rng.randrange(1000, 99999):05d}",
                f"{rng.randrange(400, 1500) / 10:.1f}",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--responses", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ketaclinic-bench-import-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("KETACLINIC_VAR_DIR", str(folder / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
    from ketaclinic.research.imports import import_patients, import_responses

    call_command("migrate", verbosity=0)
    clinic = testing.make_clinic("bench", "Bench Clinic", "America/New_York")
    other = testing.make_clinic("base", "Baseline Clinic", "America/New_York")
    member = testing.make_member(clinic, "bench", Role.PRESCRIBER)
    rows = synthetic_rows(args.rows)
    path = folder / "patients.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)

    start = time.perf_counter()
    for i in range(0, len(rows), 1000):
        Patient.objects.bulk_create(
            [
                Patient(
                    clinic=other,
                    mrn=r[0],
                    given_name=r[1],
                    family_name=r[2],
                    date_of_birth=dt.date.fromisoformat(r[3]),
                    sex=r[4],
                    email=r[5],
                    phone=r[6],
                    address_line=r[7],
                    city=r[8],
                    state=r[9],
                    postal_code=r[10],
                )
                for r in rows[i : i + 1000]
            ]
        )
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    result = import_patients(by=member, path=path)
    elapsed = time.perf_counter() - start
    assert result.imported == args.rows, result.problems[:5]

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite"
    )
    print(f"rows: {args.rows}")
    print(f"baseline bulk INSERT (no checks): {baseline:.1f} s, {args.rows / baseline:,.0f} rows/s")
    print(
        f"import patients (form + rules per row, weights, audit per 1,000): {elapsed:.1f} s, "
        f"{args.rows / elapsed:,.0f} rows/s, {elapsed / baseline:.1f}x the baseline"
    )
    if args.responses:
        rpath = folder / "responses.csv"
        rng = random.Random(7)
        with rpath.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["mrn", "scale", "taken_at", *[f"item_{i}" for i in range(1, 10)]])
            for i in range(args.responses):
                when = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
                writer.writerow(
                    [
                        rows[i % len(rows)][0],
                        "phq9",
                        when.strftime("%Y-%m-%d %H:%M"),
                        *[rng.randrange(0, 4) for _ in range(9)],
                    ]
                )
        start = time.perf_counter()
        done = import_responses(by=member, path=rpath)
        took = time.perf_counter() - start
        print(
            f"import responses (scored per row): {done.imported} in {took:.1f} s, "
            f"{done.imported / took:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
