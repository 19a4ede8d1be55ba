"""Fault check: a worker killed (kill -9) mid-export retries the export into one export (issue 13
and issue 15's "a worker killed mid-job retries the job without doing it twice").

Run: .venv/bin/python bench/export_jobs.py [--patients 1000] [--server postgres://...]

A synthetic registry (bench/research_registry.py's generator) in a scratch SQLite file (or a scratch
PostgreSQL database ``exportjobs_bench_<pid>``, dropped at the end); a CSV export is started with
the service the API and the page use; ``ketaclinic worker`` runs it and is killed with SIGKILL once
the export shows progress; a second worker retries it after the lease (30 s). Printed: progress
writes seen and their spacing, rows at the kill, the retry's result, and whether any row appears
twice (every file's row count against a first, uninterrupted export in the same run), with CPU
seconds of the in-process baseline export and of the surviving worker, and the load average.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LEASE = 30


def _zip_counts(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as archive:
        return {
            n: archive.read(n).count(b"\n") - 1 for n in archive.namelist() if n.endswith(".csv")
        }


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [str(ROOT / ".venv" / "bin" / "ketaclinic"), "worker", "--interval", "1"]
    return subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def run(args: argparse.Namespace, folder: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.research_registry import generate
    from ketaclinic.api.exports import (
        EXPORT_JOB,
        PROGRESS_SECONDS,
        export_prepare,
        export_start,
        export_zip,
    )
    from ketaclinic.api.models import ApiExport
    from ketaclinic.audit.models import AuditEvent, EventType
    from ketaclinic.ops.models import JobRun
    from ketaclinic.research.export import export_deidentified

    call_command("migrate", verbosity=0)
    researcher, took = generate(args.patients)
    print(f"registry: {args.patients} patients, generated in {took:.0f} s")

    cpu, wall = time.process_time(), time.perf_counter()
    baseline = export_deidentified(
        clinic_ids=[researcher.clinic_id],  # type: ignore[attr-defined]
        out=folder / "baseline",
        progress=False,
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rows = sum(baseline.values())
    print(
        f"baseline (in process, no job): {rows:,} rows in {wall:.1f} s, "
        f"CPU {1000 * cpu / rows * 1000:.0f} ms per 1,000 rows"
    )

    # The job's own cost in this process (progress writes, the estimate's counts, the zip).
    job_export = export_start(by=researcher, kind="csv")  # type: ignore[arg-type]
    cpu, wall = time.process_time(), time.perf_counter()
    export_prepare(job_export.pk)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"the job in process (progress, zip): {wall:.1f} s, CPU "
        f"{1000 * cpu / rows * 1000:.0f} ms per 1,000 rows; progress writes "
        f"every {PROGRESS_SECONDS:.0f} s at most"
    )

    env = {**os.environ, "KETACLINIC_JOBS_LEASE_SECONDS": str(LEASE)}
    export = export_start(by=researcher, kind="csv")  # type: ignore[arg-type]
    first = _worker(env)
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()
    while time.perf_counter() - started < 600:
        row = ApiExport.objects.get(pk=export.pk)
        if row.progress_at and (not samples or samples[-1][1] != row.rows_done):
            samples.append((row.progress_at.timestamp(), row.rows_done))
        if row.rows_done > 0:  # the first progress past the start: kill it mid-export
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed = ApiExport.objects.get(pk=export.pk)
    if killed.status == "done":
        raise SystemExit("the export finished before the kill: rerun with more --patients")
    hidden = sorted(p.name for p in (folder / "var" / "api-exports").glob(".*"))
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(samples)]
    print(
        f"kill -9 at {killed.rows_done:,} of about {killed.rows_total:,} rows "
        f"(status {killed.status}); hidden work left: {hidden}"
    )
    print(
        f"progress writes seen before the kill: {len(samples)}, "
        f"smallest gap {min(gaps, default=0):.1f} s"
    )

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    second = _worker(env)
    wall = time.perf_counter()
    while ApiExport.objects.get(pk=export.pk).status != "done":
        if time.perf_counter() - wall > 900:
            raise SystemExit("the retry did not finish in 15 minutes")
        time.sleep(0.5)
    waited = time.perf_counter() - wall
    second.send_signal(signal.SIGTERM)
    second.wait()
    worker_cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    done = ApiExport.objects.get(pk=export.pk)
    run_row = JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk))
    counts = _zip_counts(export_zip(done))
    same = counts == {name: n for name, n in baseline.items() if name.endswith(".csv")}
    left = sorted(p.name for p in (folder / "var" / "api-exports").glob(".*"))
    events = AuditEvent.objects.filter(
        event_type=EventType.EXPORT_DEIDENTIFIED, extra__api_export_id=str(export.pk)
    ).count()
    print(
        f"retry: done {waited:.0f} s after the second worker started (lease {LEASE} s); "
        f"attempts {run_row.attempts}; zips {len(list((folder / 'var' / 'api-exports').glob('*.zip')))} "
        "(this one and the in-process one); "
        f"audit events {events}; hidden work left: {left}"
    )
    print(
        f"rows per file equal to the uninterrupted export: {same} "
        f"({sum(counts.values()):,} rows); second worker CPU {worker_cpu:.1f} s "
        f"({1000 * worker_cpu / max(1, sum(counts.values())) * 1000:.0f} ms per 1,000 rows)"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not same or events != 1 or run_row.attempts != 2 or left:
        raise SystemExit("FAILED: the retried export differs from one clean export")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--server", help="postgres://user@host:port (default: SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="exportjobs-bench-"))
    os.environ["KETACLINIC_VAR_DIR"] = str(folder / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    name = f"exportjobs_bench_{os.getpid()}"
    if args.server:
        import psycopg

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        run(args, folder)
    finally:
        if args.server:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
