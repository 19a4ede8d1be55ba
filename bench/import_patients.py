"""Benchmark: `ketaclinic import patients` and `import responses` of N rows each on SQLite (issue 13;
target 100,000 rows in under 30 s each), against plain bulk INSERTs of the same rows measured in
the same run.

Run: .venv/bin/python bench/import_patients.py [--rows 100000] [--responses 100000] [--profile]

A scratch SQLite file in a temporary folder is migrated; one clinic and one prescriber are made.
1. Baseline: ``Patient.objects.bulk_create`` of N rows in chunks of 2,000 (no validation, no
   audit), into a second clinic; the same for M PHQ-9 ``ScaleResponse`` rows of those patients.
2. The imports: the CSV file of N synthetic patients (every column filled, weight on every row)
   through ``research.imports.import_patients`` (every rule per row, duplicate checks by set
   lookups, bulk_create in chunks with one audit event each), then M PHQ-9 rows through
   ``import_responses`` (scored per row).
Prints wall seconds, rows/s, the ratio to the baseline, and the load-independent figure: CPU
seconds per 10,000 rows (``time.process_time``, this process: Python and SQLite both run in it),
with the machine's load average before and after. --profile prints the imports' top functions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import shutil
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


class Timer:
    """Wall and CPU time of one step (CPU: time.process_time of this process)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Timer:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def response_rows(mrns: list[str], n: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 9, 0, tzinfo=dt.UTC)
    return [
        [
            mrns[i % len(mrns)],
            "phq9",
            (start + dt.timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M"),
            *[str(rng.randrange(0, 4)) for _ in range(9)],
        ]
        for i in range(n)
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def report(name: str, rows: int, step: Timer, baseline: Timer) -> None:
    print(
        f"{name}: {rows:,} rows in {step.wall:.1f} s, {rows / step.wall:,.0f} rows/s, "
        f"{step.wall / baseline.wall:.1f}x the baseline; "
        f"CPU {step.cpu / rows * 10_000:.2f} s per 10,000 rows "
        f"(baseline {baseline.cpu / rows * 10_000:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the imports")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ketaclinic-bench-import-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("KETACLINIC_VAR_DIR", str(folder / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
    from ketaclinic.research.imports import import_patients, import_responses
    from ketaclinic.scales import score
    from ketaclinic.scales.models import ResponseSource, ScaleResponse

    call_command("migrate", verbosity=0)
    clinic = testing.make_clinic("bench", "Bench Clinic", "America/New_York")
    other = testing.make_clinic("base", "Baseline Clinic", "America/New_York")
    member = testing.make_member(clinic, "bench", Role.PRESCRIBER)
    rows = synthetic_rows(args.rows)
    path = folder / "patients.csv"
    write_csv(path, HEADER, rows)
    answers = response_rows([r[0] for r in rows], args.responses)
    rpath = folder / "responses.csv"
    write_csv(rpath, ["mrn", "scale", "taken_at", *[f"item_{i}" for i in range(1, 10)]], answers)
    load_before = os.getloadavg()

    with Timer() as base_patients:
        for i in range(0, len(rows), 2000):
            Patient.objects.bulk_create(
                [
                    Patient(
                        clinic=other, mrn=r[0], given_name=r[1], family_name=r[2],
                        date_of_birth=dt.date.fromisoformat(r[3]), sex=r[4], email=r[5],
                        phone=r[6], address_line=r[7], city=r[8], state=r[9], postal_code=r[10],
                    )
                    for r in rows[i : i + 2000]
                ]
            )  # fmt: skip
    base_ids = dict(Patient.objects.filter(clinic=other).values_list("mrn", "pk"))
    now = timezone.now()
    with Timer() as base_responses:
        for i in range(0, len(answers), 2000):
            ScaleResponse.objects.bulk_create(
                [
                    ScaleResponse(
                        clinic=other, patient_id=base_ids[a[0]], code="phq9", scale_version="1",
                        answers=[int(x) for x in a[3:]],
                        total=score("phq9", [int(x) for x in a[3:]]).total,
                        effective_at=dt.datetime.fromisoformat(a[2]).replace(tzinfo=dt.UTC),
                        recorded_at=now, source=ResponseSource.CLINIC,
                    )
                    for a in answers[i : i + 2000]
                ]
            )  # fmt: skip

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with Timer() as patients:
        result = import_patients(by=member, path=path)
    assert result.imported == args.rows, result.problems[:5]
    with Timer() as responses:
        done = import_responses(by=member, path=rpath)
    assert done.imported == args.responses, done.problems[:5]
    if profiler is not None:
        import pstats

        profiler.disable()
        order = os.environ.get("BENCH_SORT", "cumulative")
        pstats.Stats(profiler).sort_stats(order).print_stats(30)
    load_after = os.getloadavg()

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite"
    )
    print(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    print(
        f"baseline bulk INSERT of patients (no checks): {base_patients.wall:.1f} s, "
        f"{args.rows / base_patients.wall:,.0f} rows/s"
    )
    report("import patients (every rule per row, weights, audit per chunk)", args.rows, patients,
           base_patients)  # fmt: skip
    if args.responses:
        print(
            f"baseline bulk INSERT of PHQ-9 responses (scored, no checks): "
            f"{base_responses.wall:.1f} s, {args.responses / base_responses.wall:,.0f} rows/s"
        )
        report("import responses (checked and scored per row, audit per chunk)", args.responses,
               responses, base_responses)  # fmt: skip
    shutil.rmtree(folder)
    target = max(patients.wall, responses.wall)
    print(f"target: each under 30 s at 100,000 rows; slowest here {target:.1f} s")


if __name__ == "__main__":
    main()
