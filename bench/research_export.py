"""Benchmark: the de-identified exports (CSV, Parquet, FHIR) of issue 13 on SQLite and PostgreSQL.

Run: .venv/bin/python bench/research_export.py [--patients 2000] [--engines sqlite,postgres]
     [--server postgres://postgres@127.0.0.1:5432] [--validate shapes|all|both]

For each engine a synthetic registry is generated with ``bench/research_registry.py``'s generator
(a scratch SQLite file, or a scratch PostgreSQL database ``exports_bench_<pid>``, dropped at the
end), then each format is exported once. Targets (issue 13): CSV at least 20,000 rows/s, FHIR at
least 2,000 resources/s.

Baseline, in the same run: a plain cursor ``SELECT`` of every row of every source table the export
reads (no ORM, no transformation, nothing written): what any export must at least pay. Printed per
export: rows (or resources) per second, the ratio of its time to the baseline's, and this
process's CPU seconds per 100,000 rows (``time.process_time``: independent of the machine's load,
but on PostgreSQL it leaves out the server's own CPU). The load average is printed with each line.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

#: The tables the exports read (the baseline SELECTs each once, whole).
SOURCES = (
    "patients_patient",
    "treatment_course",
    "treatment_treatmentsession",
    "treatment_doseadministration",
    "treatment_observation",
    "treatment_adverseevent",
    "scales_scaleresponse",
    "screening_eligibilitydecision",
)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def _baseline() -> tuple[int, float, float]:
    from django.db import connection

    rows = 0
    wall, cpu = time.perf_counter(), time.process_time()
    with connection.cursor() as cursor:
        for table in SOURCES:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            while chunk := cursor.fetchmany(2000):
                rows += len(chunk)
    return rows, time.perf_counter() - wall, time.process_time() - cpu


def _export(clinic_ids: list[int], out: Path, fmt: str, mode: str) -> tuple[int, float, float, Any]:
    from ketaclinic.research.export import export_deidentified
    from ketaclinic.research.fhir import validation

    wall, cpu = time.perf_counter(), time.process_time()
    with validation(mode) as checker:
        counts = export_deidentified(clinic_ids=clinic_ids, out=out, fmt=fmt, progress=False)
    return sum(counts.values()), time.perf_counter() - wall, time.process_time() - cpu, checker


def run(engine: str, args: argparse.Namespace, folder: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from research_registry import RESPONSES_PER_PATIENT, SESSIONS_PER_PATIENT, generate

    call_command("migrate", verbosity=0)
    researcher, took = generate(args.patients)
    clinic_ids = [researcher.clinic_id]  # type: ignore[attr-defined]
    print(
        f"\n{engine}: {args.patients} patients, {args.patients * SESSIONS_PER_PATIENT} sessions, "
        f"{args.patients * RESPONSES_PER_PATIENT} responses; generated in {took:.1f} s ({_load()})"
    )
    _baseline()  # warm the page cache once; the measured baseline follows
    rows, wall, cpu = _baseline()
    base_rate = rows / wall
    print(
        f"  baseline: cursor SELECT of {rows:,} source rows: {wall:.2f} s = {base_rate:,.0f} rows/s"
        f", {cpu / rows * 1e5:.2f} CPU s/100k rows ({_load()})"
    )
    modes = ["shapes", "all"] if args.validate == "both" else [args.validate]
    jobs = [("csv", "shapes"), ("parquet", "shapes")] + [("fhir", m) for m in modes]
    for fmt, mode in jobs:
        count, wall, cpu, checker = _export(
            clinic_ids, folder / f"{engine}-{fmt}-{mode}", fmt, mode
        )
        unit = "resources" if fmt == "fhir" else "rows"
        label = f"fhir (validate {mode})" if fmt == "fhir" else fmt
        extra = ""
        if fmt == "fhir":
            extra = f"; {checker.full:,} given to the full model, {checker.shapes} shapes"
        print(
            f"  {label}: {count:,} {unit} in {wall:.2f} s = {count / wall:,.0f} {unit}/s, "
            f"{wall / (rows / base_rate):.1f}x the baseline's time, "
            f"{cpu / count * 1e5:.2f} CPU s/100k {unit}{extra} ({_load()})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--validate", choices=["shapes", "all", "both"], default="both")
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # one engine, in a child process
    args = parser.parse_args()
    if args.engine is None:
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, {_load()}"
        )
        import subprocess

        for engine in args.engines.split(","):  # one process per engine: Django sets up once
            subprocess.run([sys.executable, *sys.argv, "--engine", engine], check=True)  # noqa: S603
        return
    folder = Path(tempfile.mkdtemp(prefix="exports-bench-"))
    os.environ["KETACLINIC_VAR_DIR"] = str(folder / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "ketaclinic.settings"
    name = f"exports_bench_{os.getpid()}"
    if args.engine == "postgres":
        import psycopg

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        run(args.engine, args, folder)
    finally:
        if args.engine == "postgres":
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
