"""Benchmark: research exports and cohort analytics on a synthetic registry (issue 13).

Run: .venv/bin/python bench/research_registry.py [--patients 2000] [--server postgres://...]

Targets (issue 13) at 100,000 patients / 2,000,000 sessions / 4,000,000 responses on PostgreSQL:
CSV export >= 20,000 rows/s, FHIR >= 2,000 resources/s, cohort page < 2 s. The registry scales
with --patients: 20 dosed sessions (with one dose and two vitals each) and 40 PHQ-9 responses per
patient, one adverse event per 25 sessions, written with bulk_create straight into the tables
(the generator is test set-up, not the services).

Without --server a scratch SQLite file is used; with --server a scratch PostgreSQL database
(``ketaclinic_bench_research_<pid>``) is created and dropped. Baseline in the same run: a plain
cursor SELECT of every scale_responses row (the read cost every export pays).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SESSIONS_PER_PATIENT = 20
RESPONSES_PER_PATIENT = 40
CHUNK = 5000


def generate(patients: int, seed: int = 13) -> tuple[object, float]:
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
    from ketaclinic.scales import score
    from ketaclinic.scales.models import ScaleResponse
    from ketaclinic.treatment.models import (
        AdverseEvent,
        Course,
        DoseAdministration,
        Observation,
        TreatmentSession,
    )

    rng = random.Random(seed)
    started = time.perf_counter()
    clinic = testing.make_clinic("bench", "Bench Clinic", "America/New_York")
    admin = testing.make_member(clinic, "bench-admin", Role.CLINIC_ADMIN)
    researcher = testing.make_member(clinic, "bench-research", Role.RESEARCHER)
    version = testing.shipped_protocol(admin, "esketamine_trd")
    user = admin.user
    now = timezone.now()
    for first in range(0, patients, CHUNK // SESSIONS_PER_PATIENT):
        count = min(CHUNK // SESSIONS_PER_PATIENT, patients - first)
        people = [
            Patient(
                clinic=clinic,
                mrn=f"R{first + i:07d}",
                given_name="Synth",
                family_name=f"P{first + i}",
                date_of_birth=dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 60 * 365)),
                sex=rng.choice(["female", "male"]),
                state="MA",
                postal_code=f"{rng.randrange(1000, 99999):05d}",
            )
            for i in range(count)
        ]
        Patient.objects.bulk_create(people)
        starts = {p.pk: now - dt.timedelta(days=rng.randrange(70, 700)) for p in people}
        courses = [
            Course(
                clinic=clinic,
                patient=p,
                protocol_version=version,
                indication="trd",
                decision_note="bench",
                enrolled_by=user,
                enrolled_at=starts[p.pk],
                start_date=starts[p.pk].date(),
                session_time=dt.time(9, 0),
            )
            for p in people
        ]
        Course.objects.bulk_create(courses)
        sessions = []
        responses = []
        for course in courses:
            base = float(rng.randrange(12, 27))
            for n in range(SESSIONS_PER_PATIENT):
                at = starts[course.patient_id] + dt.timedelta(days=3.5 * n)
                sessions.append(
                    TreatmentSession(
                        clinic=clinic,
                        patient_id=course.patient_id,
                        course=course,
                        protocol_version=version,
                        number=n + 1,
                        phase_code="induction",
                        scheduled_at=at,
                        phase="done",
                        checked_in_at=at,
                        dose_started_at=at + dt.timedelta(minutes=20),
                        discharged_at=at + dt.timedelta(minutes=140),
                    )
                )
            for k in range(RESPONSES_PER_PATIENT):
                target = max(0.0, base * (1 - k / RESPONSES_PER_PATIENT) + rng.gauss(0, 2))
                answers = [
                    min(3, int(target // 9) + (1 if i < int(target) % 9 else 0)) for i in range(9)
                ]
                result = score("phq9", answers)
                responses.append(
                    ScaleResponse(
                        patient_id=course.patient_id,
                        clinic=clinic,
                        code="phq9",
                        scale_version="1",
                        answers=answers,
                        total=result.total,
                        band=result.band or "",
                        effective_at=starts[course.patient_id]
                        + dt.timedelta(days=1.75 * k, minutes=-30),
                        recorded_at=now,
                        recorded_by=user,
                        source="clinic",
                    )
                )
        TreatmentSession.objects.bulk_create(sessions)
        ScaleResponse.objects.bulk_create(responses)
        DoseAdministration.objects.bulk_create(
            [
                DoseAdministration(
                    session=s,
                    dose_mg=Decimal("56"),
                    product="Spravato",
                    lot_number="L1",
                    expiry_date=dt.date(2030, 1, 1),
                    started_at=s.dose_started_at,
                    given_by=user,
                    recorded_at=now,
                    device_count=2,
                )
                for s in sessions
            ]
        )
        Observation.objects.bulk_create(
            [
                Observation(
                    session=s,
                    code=code,
                    unit=unit,
                    value=value,
                    systolic_mmhg=sys_,
                    diastolic_mmhg=dia,
                    measured_at=s.dose_started_at,
                    minutes_since_dose=40,
                    recorded_by=user,
                    recorded_at=now,
                )
                for s in sessions
                for code, unit, value, sys_, dia in (
                    ("heart_rate", "/min", rng.randrange(60, 100), None, None),
                    (
                        "blood_pressure",
                        "mm[Hg]",
                        None,
                        rng.randrange(110, 160),
                        rng.randrange(60, 95),
                    ),
                )
            ]
        )
        AdverseEvent.objects.bulk_create(
            [
                AdverseEvent(
                    session=s,
                    event_type=rng.choice(["dizziness", "nausea_vomiting", "dissociation"]),
                    onset_at=s.dose_started_at,
                    severity="mild",
                    serious=False,
                    action_taken="bench",
                    outcome="resolved",
                    recorded_by=user,
                    recorded_at=now,
                )
                for s in sessions
                if rng.random() < 0.04
            ]
        )
    return researcher, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--server", help="postgres://user@host:port (default: SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ketaclinic-bench-research-"))
    os.environ.setdefault("KETACLINIC_VAR_DIR", str(folder / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    name = f"ketaclinic_bench_research_{os.getpid()}"
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


def run(args: argparse.Namespace, folder: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from ketaclinic.research.analytics import Filters, cohort
    from ketaclinic.research.export import export_deidentified

    call_command("migrate", verbosity=0)
    researcher, took = generate(args.patients)
    engine = "PostgreSQL" if args.server else "SQLite"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs (shared, loaded), "
        f"Python {platform.python_version()}, {engine}"
    )
    print(
        f"registry: {args.patients} patients, {args.patients * SESSIONS_PER_PATIENT} sessions, "
        f"{args.patients * RESPONSES_PER_PATIENT} responses; generated in {took:.1f} s"
    )

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM scales_scaleresponse")
        fetched = len(cursor.fetchall())
    baseline = time.perf_counter() - start
    print(f"baseline: raw SELECT of {fetched} responses: {fetched / baseline:,.0f} rows/s")

    clinic_ids = [researcher.clinic_id]  # type: ignore[attr-defined]
    for fmt in ("csv", "parquet", "fhir"):
        start = time.perf_counter()
        counts = export_deidentified(
            clinic_ids=clinic_ids, out=folder / fmt, fmt=fmt, progress=False
        )
        elapsed = time.perf_counter() - start
        rows = sum(counts.values())
        unit = "resources" if fmt == "fhir" else "rows"
        print(f"export {fmt}: {rows} {unit} in {elapsed:.1f} s = {rows / elapsed:,.0f} {unit}/s")

    today = timezone.now().date()
    for label, filters in (
        ("all", Filters()),
        ("women 45-64", Filters(sex="female", age_band="45-64")),
    ):
        start = time.perf_counter()
        result = cohort(researcher, filters, today)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        print(
            f"cohort ({label}): {elapsed:.2f} s ({result.dosed_sessions} sessions, "
            f"{len(result.by_session)} session points)"
        )


if __name__ == "__main__":
    main()
