"""Benchmark (not a test): the patient chart with 200 responses and the clinic outcomes page for
10,000 patients x 20 responses, on PostgreSQL, through the full Django stack (test client, signed in).

Run: ``.venv/bin/python bench/scales_pages.py`` (options: ``--patients``, ``--responses``,
``--server postgres://postgres@127.0.0.1:5432``). It creates a scratch database, migrates it, fills
it, times the pages (best of N), and drops the database. The baseline, measured in the same run, is
the raw ``SELECT`` of the same rows through a database cursor (what no page can beat).

Rows are inserted with ``bulk_create`` (this scratch database only; the application writes responses
through ``scale_response_record``, one audited transaction each).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def best_of(n: int, call: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(n):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def phq9_answers(total: int, rng: random.Random) -> list[int]:
    answers = [0] * 9
    remaining = min(total, 24)
    while remaining:
        i = rng.randrange(8)  # item 9 stays 0: no alerts in the bench data
        if answers[i] < 3:
            answers[i] += 1
            remaining -= 1
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=20)
    parser.add_argument("--chart-responses", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    import psycopg

    name = f"ketaclinic_bench_scales_{os.getpid()}"
    admin_url = f"{args.server}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"scratch database {name} kept (drop it with: DROP DATABASE {name})")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"scratch database {name} dropped")


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
    from ketaclinic.scales import score, selectors
    from ketaclinic.scales.models import ResponseSource, ScaleResponse
    from ketaclinic.scales.outcomes import outcome_table
    from ketaclinic.scales.selectors import _outcome_series_portable

    call_command("migrate", verbosity=0)
    clinic = testing.make_clinic("bench", "Bench Clinic", "America/New_York")
    membership = testing.make_member(
        clinic,
        "bench",
        Role.PRESCRIBER,
        password="bench-password-Long-1",  # noqa: S106  (scratch database)
        first_name="B",
        last_name="B",
    )
    user = membership.user

    rng = random.Random(2026)
    now = timezone.now()
    start = time.perf_counter()
    patients = [
        Patient(
            clinic=clinic,
            mrn=f"B{n:06d}",
            given_name="Bench",
            family_name=f"Patient{n}",
            date_of_birth=datetime.date(1980, 1, 1),
            sex="unknown",
        )
        for n in range(args.patients + 1)
    ]
    Patient.objects.bulk_create(patients, batch_size=2000)
    chart_patient, cohort = patients[0], patients[1:]

    def rows_for(patient: Patient, count: int) -> list[ScaleResponse]:
        baseline = rng.randint(12, 24)
        floor = rng.uniform(0.1, 0.9)
        when = now - datetime.timedelta(days=3.5 * count)
        rows = []
        for step in range(count):
            total = round(baseline * (floor + (1 - floor) * 0.7**step)) + rng.randint(-2, 2)
            answers = phq9_answers(max(0, min(24, total)), rng)
            result = score("phq9", answers)
            rows.append(
                ScaleResponse(
                    patient=patient,
                    clinic=clinic,
                    code="phq9",
                    scale_version="1",
                    answers=answers,
                    total=result.total,
                    band=result.band or "",
                    subscores={},
                    flags=list(result.flags),
                    effective_at=when,
                    recorded_at=when,
                    recorded_by=user,
                    source=ResponseSource.CLINIC,
                )
            )
            when += datetime.timedelta(days=3.5, hours=rng.uniform(-6, 6))
        return rows

    batch: list[ScaleResponse] = rows_for(chart_patient, args.chart_responses)
    for patient in cohort:
        batch.extend(rows_for(patient, args.responses))
        if len(batch) >= 20_000:
            ScaleResponse.objects.bulk_create(batch)
            batch = []
    ScaleResponse.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total_rows = ScaleResponse.objects.count()
    print(
        f"filled {total_rows:,} responses for {len(patients):,} patients in "
        f"{time.perf_counter() - start:.1f} s"
    )

    client = testing.sign_in(Client(), membership)

    def get(url: str) -> int:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    chart_url = f"/patients/{chart_patient.pk}/"
    get(chart_url)
    chart_time, chart_size = best_of(args.repeat, lambda: get(chart_url))

    def raw_chart() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, code, effective_at, total, band, flags FROM scales_scaleresponse "
                "WHERE patient_id = %s AND status = 'final' AND total IS NOT NULL "
                "ORDER BY code, effective_at, id",
                [chart_patient.pk],
            )
            return len(cursor.fetchall())

    raw_chart_time, raw_chart_rows = best_of(args.repeat, raw_chart)

    outcomes_url = "/scales/outcomes/"
    get(outcomes_url)
    outcomes_time, outcomes_size = best_of(args.repeat, lambda: get(outcomes_url))

    def raw_outcomes() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT code, patient_id, effective_at, total FROM scales_scaleresponse "
                "WHERE clinic_id = %s AND code IN ('phq9','madrs','gad7','qids_sr16','hamd17') "
                "AND status = 'final' AND total IS NOT NULL "
                "ORDER BY code, patient_id, effective_at, id",
                [clinic.pk],
            )
            return len(cursor.fetchall())

    raw_outcomes_time, raw_outcomes_rows = best_of(args.repeat, raw_outcomes)
    codes = ("phq9", "madrs", "gad7", "qids_sr16", "hamd17")
    selector_time, series = best_of(
        args.repeat, lambda: selectors.clinic_outcome_series(clinic_id=clinic.pk, codes=codes)
    )
    portable_time, portable = best_of(
        args.repeat, lambda: _outcome_series_portable(clinic.pk, list(codes))
    )
    assert portable == series
    table_time, _ = best_of(
        args.repeat,
        lambda: outcome_table(series["phq9"], {"All patients": list(series["phq9"])}, code="phq9"),
    )

    print()
    print(
        f"CPython {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {connection.cursor().connection.info.server_version}, {platform.machine()}"
    )
    print("| what | figure |\n|---|---|")
    print(
        f"| patient chart, {raw_chart_rows} PHQ-9 responses, full page (best of {args.repeat}) | "
        f"{chart_time * 1000:.0f} ms ({chart_size / 1024:.0f} KiB HTML) |"
    )
    print(f"| baseline: raw SELECT of the chart's rows | {raw_chart_time * 1000:.1f} ms |")
    print(
        f"| outcomes page, {args.patients:,} patients x {args.responses} responses, full page "
        f"(best of {args.repeat}) | {outcomes_time * 1000:.0f} ms (target < 1 s; "
        f"{outcomes_size / 1024:.0f} KiB) |"
    )
    print(
        f"| baseline: raw SELECT of the same {raw_outcomes_rows:,} rows (Django cursor) | "
        f"{raw_outcomes_time * 1000:.0f} ms |"
    )
    print(
        f"| of which: `clinic_outcome_series` (PostgreSQL path: one array pair per patient) | "
        f"{selector_time * 1000:.0f} ms |"
    )
    print(
        f"| for comparison: the portable path (one ORM row per response) | "
        f"{portable_time * 1000:.0f} ms |"
    )
    print(f"| of which: `outcome_table` (pure, 7 time points) | {table_time * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
