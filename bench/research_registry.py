"""Benchmark: the cohort analytics page on a synthetic registry (issue 13).

Run: .venv/bin/python bench/research_registry.py [--patients 100000]
     [--server postgres://postgres@127.0.0.1:5432] [--keep] [--repeat 3]

Registry (``generate``): ``patients`` synthetic patients in three clinics (80 %, 10 %, 10 %), each
with 20 dosed sessions under a shipped protocol (60 % esketamine nasal spray for TRD, one course
of 8 induction, 4 optimisation and 8 maintenance sessions; 30 % IV and 10 % IM racemic ketamine
for depression, acute courses of 6 sessions repeated every 60 days, the fourth stopped after 2),
one dose (fixed 56/84 mg, or 0.5 mg/kg of the patient's weight) and two vitals (heart rate, blood
pressure) per session, a PHQ-9 and a GAD-7 with every item answered 30 minutes before each dose,
and adverse events in about 4 % of sessions. At 100,000 patients: 2,000,000 sessions, 2,000,000
doses, 4,000,000 vitals, 4,000,000 scale responses. Rows are written straight into the tables (the
generator is test set-up, not the services): PostgreSQL COPY, or bulk_create on SQLite.

Without --server a scratch SQLite file is used; with --server a scratch PostgreSQL database
(``registry_bench_<pid>``) is created, and dropped unless --keep. The page is timed through the
full Django stack (test client signed in as the largest clinic's researcher), best of --repeat,
per filter set. Baseline in the same run: ``SELECT count(*)`` and a plain GROUP BY of the clinic's
scale responses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SESSIONS_PER_PATIENT = 20
RESPONSES_PER_PATIENT = 2 * SESSIONS_PER_PATIENT
CHUNK = 2000  # patients per batch
CLINIC_SHARES = (("bench", "Bench Clinic", 0.8), ("north", "North Bench", 0.1),
                 ("south", "South Bench", 0.1))  # fmt: skip
# (library code, share of patients): esketamine one long course; racemic repeated acute courses.
PROTOCOLS = (("esketamine_trd", 0.6), ("iv_racemic_depression", 0.3),
             ("im_racemic_depression", 0.1))  # fmt: skip
AE_RATE = 0.04
AE_TYPES = ("dissociation", "nausea_vomiting", "dizziness", "headache", "hypertension",
            "sedation_loc")  # fmt: skip


@lru_cache(maxsize=4096)
def _response(code: str, total: int, items: int) -> tuple[str, float, str, str, str]:
    """(answers JSON, total, band, subscores JSON, flags JSON) of item answers summing to about
    ``total``, scored by the app's own scoring (the last item, PHQ-9 item 9, stays 0)."""
    from ketaclinic.scales import score

    target = max(0, min(total, 3 * (items - 1)))
    per, extra = divmod(target, items - 1)
    answers = [min(3, per + (1 if i < extra else 0)) for i in range(items - 1)] + [0]
    result = score(code, answers)
    flags = json.dumps(list(getattr(result, "flags", []) or []))
    subscores = json.dumps(dict(getattr(result, "subscores", {}) or {}))
    return json.dumps(answers), float(result.total or 0), result.band or "", subscores, flags


class _Writer:
    """Rows into one table: PostgreSQL COPY, or Model(**row) + bulk_create elsewhere."""

    def __init__(self, model: Any, columns: tuple[str, ...]) -> None:
        from django.db import connection

        self.model, self.columns = model, columns
        self.copy = connection.vendor == "postgresql"
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.rest = tuple(name for name in fields if name not in columns)
        self.tail = tuple(self._default(fields[name]) for name in self.rest)
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def _default(self, field: Any) -> Any:
        value = field.get_default()
        if self.copy and isinstance(value, list | dict):
            return json.dumps(value)
        return value

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        from django.db import connection

        if not self.rows:
            return
        if self.copy:
            table = self.model._meta.db_table
            names = ", ".join(f'"{c}"' for c in self.columns + self.rest)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
                tail = self.tail
                # COPY text format: no value here holds a tab, newline or backslash, and no text
                # is "None" but a missing value (written \N, SQL NULL).
                lines = ["\t".join(map(str, row + tail)) for row in self.rows]
                with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    copy.write("\n".join(lines).replace("None", "\\N") + "\n")
        else:
            self.model.objects.bulk_create(
                [self.model(**dict(zip(self.columns, row, strict=True))) for row in self.rows],
                batch_size=500,
            )
        self.count += len(self.rows)
        self.rows = []


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_sequences(models: list[Any]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT COALESCE(max(id), 1) FROM "{table}"))'
            )


def _check_references() -> None:
    """What the foreign keys (switched off for the load) and the app's rules would refuse."""
    from django.db import connection

    checks = {
        "session of another patient's or clinic's course": "SELECT count(*) FROM "
        "treatment_treatmentsession s JOIN treatment_course c ON c.id = s.course_id "
        "WHERE c.patient_id <> s.patient_id OR c.clinic_id <> s.clinic_id",
        "session before its course's start": "SELECT count(*) FROM treatment_treatmentsession s "
        "JOIN treatment_course c ON c.id = s.course_id WHERE s.scheduled_at::date < c.start_date",
        "dose without a session": "SELECT count(*) FROM treatment_doseadministration d "
        "LEFT JOIN treatment_treatmentsession s ON s.id = d.session_id WHERE s.id IS NULL",
        "response of a patient of another clinic": "SELECT count(*) FROM scales_scaleresponse r "
        "LEFT JOIN patients_patient p ON p.id = r.patient_id AND p.clinic_id = r.clinic_id "
        "WHERE p.id IS NULL",
        "dosed session in the future": "SELECT count(*) FROM treatment_treatmentsession "
        "WHERE dose_started_at > now() OR discharged_at < dose_started_at",
    }
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        for what, query in checks.items():
            cursor.execute(query)
            found = cursor.fetchone()[0]
            if found:
                raise AssertionError(f"{found} rows: {what}")


def _schedule(code: str) -> Iterator[tuple[int, int, str, float]]:
    """(course index, session number, phase code, days since the first dose) for 20 sessions."""
    if code == "esketamine_trd":  # twice weekly x 8, weekly x 4, then every two weeks
        for n in range(SESSIONS_PER_PATIENT):
            if n < 8:
                yield 0, n + 1, "induction", 3.5 * n
            elif n < 12:
                yield 0, n + 1, "optimisation", 28 + 7 * (n - 8)
            else:
                yield 0, n + 1, "maintenance", 56 + 14 * (n - 12)
        return
    for n in range(SESSIONS_PER_PATIENT):  # acute courses of 6, twice weekly, every 60 days
        course, k = divmod(n, 6)
        yield course, k + 1, "acute", 60 * course + 3.5 * k


def generate(  # noqa: PLR0912  (one loop writing seven related tables)
    patients: int, seed: int = 13, *, progress: Callable[[str], None] | None = None
) -> tuple[object, float]:
    """Fill the (migrated, empty) database; returns the largest clinic's researcher membership
    and the seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
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
    now = timezone.now()
    sites = []
    researcher = None
    for code, name, share in CLINIC_SHARES:
        clinic = testing.make_clinic(code, name, "America/New_York")
        admin = testing.make_member(clinic, f"{code}-admin", Role.CLINIC_ADMIN)
        nurse = testing.make_member(clinic, f"{code}-nurse", Role.NURSE)
        found = testing.make_member(clinic, f"{code}-research", Role.RESEARCHER)
        researcher = researcher or found
        versions = {lib: testing.shipped_protocol(admin, lib) for lib, _ in PROTOCOLS}
        sites.append((clinic, share, admin.user_id, nurse.user_id, versions))

    w_patient = _Writer(Patient, ("id", "clinic_id", "mrn", "given_name", "family_name",
                                  "date_of_birth", "sex", "state", "postal_code", "search_name",
                                  "created_at", "updated_at"))  # fmt: skip
    w_course = _Writer(Course, ("id", "clinic_id", "patient_id", "protocol_version_id",
                                "indication", "status", "decision_note", "enrolled_by_id",
                                "enrolled_at", "start_date", "session_time"))  # fmt: skip
    w_session = _Writer(TreatmentSession, ("id", "clinic_id", "patient_id", "course_id",
                                           "protocol_version_id", "number", "phase_code",
                                           "scheduled_at", "phase", "checked_in_at",
                                           "dose_started_at", "discharged_at"))  # fmt: skip
    w_dose = _Writer(DoseAdministration, ("id", "session_id", "dose_mg", "dose_mg_per_kg",
                                          "weight_kg", "product", "lot_number", "expiry_date",
                                          "started_at", "given_by_id", "recorded_at",
                                          "device_count"))  # fmt: skip
    w_obs = _Writer(Observation, ("id", "session_id", "code", "unit", "value", "systolic_mmhg",
                                  "diastolic_mmhg", "measured_at", "minutes_since_dose",
                                  "recorded_by_id", "recorded_at"))  # fmt: skip
    w_resp = _Writer(ScaleResponse, ("id", "patient_id", "clinic_id", "code", "scale_version",
                                     "answers", "total", "band", "subscores", "flags",
                                     "effective_at", "recorded_at", "recorded_by_id", "source",
                                     "status"))  # fmt: skip
    w_ae = _Writer(AdverseEvent, ("id", "session_id", "event_type", "onset_at", "severity",
                                  "serious", "action_taken", "outcome", "recorded_by_id",
                                  "recorded_at"))  # fmt: skip
    writers = [w_patient, w_course, w_session, w_dose, w_obs, w_resp, w_ae]
    ids = {w: _next_id(w.model) for w in writers if w is not w_patient}
    copy = w_patient.copy

    def nid(writer: _Writer) -> int:
        ids[writer] += 1
        return ids[writer] - 1

    if copy:  # FK triggers off for the load (superuser, scratch database): checked after it
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    protocol_weights = [share for _, share in PROTOCOLS]
    clinic_weights = [share for _, _, share in CLINIC_SHARES]
    expiry = dt.date(now.year + 2, 1, 1)
    for first in range(0, patients, CHUNK):
        with transaction.atomic():
            for i in range(first, min(first + CHUNK, patients)):
                clinic, _, admin_id, nurse_id, versions = rng.choices(sites, clinic_weights)[0]
                pid = uuid.UUID(int=rng.getrandbits(128), version=4)
                born = dt.date(1936, 1, 1) + dt.timedelta(days=rng.randrange(0, 70 * 365))
                sex = rng.choice(
                    ("female", "female", "female", "male", "male", "intersex", "unknown")
                )
                w_patient.add((pid, clinic.pk, f"R{i:07d}", "Synth", f"Person{i}", born, sex,
                               "MA", f"{rng.randrange(1000, 99999):05d}", f"synth person{i}",
                               now, now))  # fmt: skip
                lib = rng.choices(PROTOCOLS, protocol_weights)[0][0]
                version = versions[lib]
                indication = "trd" if lib == "esketamine_trd" else "mdd"
                weight = Decimal(rng.randrange(500, 1100)) / 10
                first_dose = now - dt.timedelta(days=rng.uniform(200, 3 * 365), hours=0)
                first_dose = first_dose.replace(hour=14, minute=0, second=0, microsecond=0)
                phq, gad = rng.uniform(12, 26), rng.uniform(8, 20)
                fall = rng.uniform(0.0, 0.9)  # the patient's eventual fall in scores
                courses: dict[int, int] = {}
                for course_no, number, phase_code, days in _schedule(lib):
                    at = first_dose + dt.timedelta(days=days)
                    if course_no not in courses:
                        courses[course_no] = nid(w_course)
                        last = lib != "esketamine_trd" and course_no == 3
                        w_course.add((courses[course_no], clinic.pk, pid, version.pk, indication,
                                      "stopped" if last else ("active" if lib == "esketamine_trd" else "completed"), "Synthetic registry",
                                      admin_id, at - dt.timedelta(days=7),
                                      at.date(), dt.time(9, 0)))  # fmt: skip
                    sid = nid(w_session)
                    dosed = at + dt.timedelta(minutes=20)
                    w_session.add((sid, clinic.pk, pid, courses[course_no], version.pk, number,
                                   phase_code, at, "done", at, dosed,
                                   at + dt.timedelta(minutes=140)))  # fmt: skip
                    if lib == "esketamine_trd":
                        mg = Decimal(56 if number == 1 or rng.random() < 0.4 else 84)
                        per_kg, kg, product = None, None, "Spravato 28 mg device"
                        devices = int(mg) // 28
                    else:
                        per_kg, kg, devices = Decimal("0.5"), weight, None
                        mg = (weight * per_kg).quantize(Decimal("0.001"))
                        product = "Ketamine HCl 50 mg/mL"
                    w_dose.add((nid(w_dose), sid, mg, per_kg, kg, product, "LOT-SYN-1", expiry,
                                dosed, nurse_id, dosed, devices))  # fmt: skip
                    seen = dosed + dt.timedelta(minutes=40)
                    w_obs.add((nid(w_obs), sid, "heart_rate", "/min", rng.randrange(60, 100),
                               None, None, seen, 40, nurse_id, seen))  # fmt: skip
                    w_obs.add((nid(w_obs), sid, "blood_pressure", "mm[Hg]", None,
                               rng.randrange(110, 160), rng.randrange(60, 95), seen, 40,
                               nurse_id, seen))  # fmt: skip
                    progress_ = (days / 180) * fall
                    taken = at - dt.timedelta(minutes=10)
                    for code, start, items in (("phq9", phq, 9), ("gad7", gad, 7)):
                        total = start * (1 - min(progress_, fall)) + rng.gauss(0, 2)
                        answers, score_total, band, subscores, flags = _response(
                            code, round(total), items
                        )
                        if not copy:
                            answers, subscores, flags = map(json.loads, (answers, subscores, flags))
                        w_resp.add((nid(w_resp), pid, clinic.pk, code, "1", answers, score_total,
                                    band, subscores, flags, taken, taken, nurse_id, "clinic",
                                    "final"))  # fmt: skip
                    if rng.random() < AE_RATE:
                        w_ae.add((nid(w_ae), sid, rng.choice(AE_TYPES), dosed, "mild", False,
                                  "Observed; resolved in the chair", "resolved", nurse_id,
                                  dosed))  # fmt: skip
            for writer in writers:
                writer.flush()
        if progress:
            progress(f"{min(first + CHUNK, patients)} patients")
    _reset_sequences([w.model for w in writers if w is not w_patient])
    if copy:
        _check_references()
    return researcher, time.perf_counter() - started


FILTER_SETS: tuple[tuple[str, dict[str, str]], ...] = (
    ("no filters", {}),
    ("esketamine, nasal", {"drug": "esketamine", "route": "esketamine_nasal"}),
    ("women 45-64", {"sex": "female", "age_band": "45-64"}),
    ("IV, depression, last 2 years", {"route": "iv_infusion", "indication": "mdd",
                                      "start_from": "-730"}),
    ("GAD-7, men, IM", {"scale": "gad7", "sex": "male", "route": "im"}),
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--server", help="postgres://user@host:port (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", help="time the page on this kept database (no generation)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each query")
    parser.add_argument(
        "--name", help="name of the scratch database (default registry_bench_<pid>)"
    )
    parser.add_argument(
        "--live-repeat", type=int, default=1, help="runs of the live page (baseline) per filter set"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    os.environ.setdefault("KETACLINIC_VAR_DIR", str(folder / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    name = args.reuse or args.name or f"registry_bench_{os.getpid()}"
    if args.reuse:
        args.keep = True
        os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    elif args.server:
        import psycopg

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    try:
        run(args)
    finally:
        if args.server:
            from django.db import connections

            connections.close_all()
            if args.keep:
                print(f"kept database {name}")
            else:
                with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _explain(client: Any, url: str, params: dict[str, str]) -> None:
    """EXPLAIN ANALYZE each SELECT the page runs, as in the page's transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaclinic.research.analytics import WORK_MEM

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    for query in captured.captured_queries:
        text = query["sql"]
        if not text.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SET work_mem = '{WORK_MEM}'")
            cursor.execute("SET jit = off")
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + text)
            plan = cursor.fetchone()[0]
            cursor.execute("RESET work_mem")
            cursor.execute("RESET jit")
            plan = json.loads(plan) if isinstance(plan, str) else plan
        ms = plan[0]["Execution Time"] + plan[0].get("Planning Time", 0)
        if ms >= 5:
            print(f"    SQL {ms:7.1f} ms  {' '.join(text.split())[:110]}")


def _best(repeat: int, call: Callable[[], Any]) -> tuple[float, float, Any]:
    """(best wall seconds, CPU seconds of this process in that run, result)."""
    best, cpu, result = float("inf"), 0.0, None
    for _ in range(repeat):
        wall, proc = time.perf_counter(), time.process_time()
        result = call()
        wall, proc = time.perf_counter() - wall, time.process_time() - proc
        if wall < best:
            best, cpu = wall, proc
    return best, cpu, result


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.research.models import CohortRefresh

    setup_test_environment()  # the test client records each page's context
    call_command("migrate", verbosity=0)
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}, {engine}; load average {os.getloadavg()}"
    )
    if args.reuse:
        from ketaclinic.accounts.models import Membership

        researcher, took = Membership.objects.get(user__username="bench-research"), 0.0
    else:
        cpu = time.process_time()
        researcher, took = generate(args.patients, progress=lambda line: print(f"  ... {line}"))
        print(f"generator process CPU {time.process_time() - cpu:.1f} s (Python side of COPY)")
    counts = {}
    with connection.cursor() as cursor:
        for table in ("patients_patient", "treatment_course", "treatment_treatmentsession",
                      "treatment_doseadministration", "treatment_observation",
                      "scales_scaleresponse", "treatment_adverseevent"):  # fmt: skip
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            counts[table] = cursor.fetchone()[0]
        if engine == "PostgreSQL" and not args.reuse:
            cursor.execute("VACUUM ANALYZE")
    print(f"generated in {took:.1f} s; load average {os.getloadavg()}")
    for table, count in counts.items():
        print(f"  {table}: {count:,}")
    clinic_id = researcher.clinic_id  # type: ignore[attr-defined]

    def sql(query: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(query, [clinic_id])
            return cursor.fetchall()

    base = (
        "SELECT count(*) FROM scales_scaleresponse WHERE clinic_id = %s",
        "SELECT code, count(*), avg(total) FROM scales_scaleresponse WHERE clinic_id = %s "
        "GROUP BY code",
    )
    for query in base:
        wall, _, rows = _best(args.repeat, lambda q=query: sql(q))  # type: ignore[misc]
        print(f"baseline {wall * 1000:7.0f} ms  {query[:60]}... -> {rows[0]}")

    client = testing.sign_in(Client(), researcher)  # type: ignore[arg-type]
    url = reverse("research:cohort")
    today = timezone.now().date()
    sets = []
    for label, given in FILTER_SETS:
        params = dict(given)
        if params.get("start_from", "").startswith("-"):
            days = int(params["start_from"][1:])
            params["start_from"] = (today - dt.timedelta(days=days)).isoformat()
        sets.append((label, params))

    def page(label: str, params: dict[str, str], repeat: int, summary: bool) -> Any:
        wall, cpu, found = _best(repeat, lambda: client.get(url, params))
        result = found.context["result"] if found.status_code == 200 else None
        assert result is not None, (label, found.status_code)
        assert (found.context["as_of"] is not None) == summary, label
        print(
            f"page {'summary' if summary else 'live':7} {label:30} best of {repeat}: "
            f"{wall * 1000:6.0f} ms (process CPU {cpu * 1000:5.0f} ms) - {result.patients:,} "
            f"patients, {result.dosed_sessions:,} sessions, {len(result.by_session)} points"
        )
        if args.explain and engine == "PostgreSQL" and summary:  # live plans: see the docs
            _explain(client, url, params)
        return result

    # Baseline in the same run: the live statements over the raw tables (no summary yet).
    CohortRefresh.objects.filter(clinic_id=clinic_id).delete()
    live = {label: page(label, params, args.live_repeat, False) for label, params in sets}
    for code in ("bench", "north", "south"):
        wall, cpu = time.perf_counter(), time.process_time()
        out = io.StringIO()
        call_command("research", "refresh", "--clinic", code, stdout=out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"summary rebuild {out.getvalue().strip()} (wall {wall:.1f} s, process CPU "
            f"{cpu * 1000:.0f} ms); load average {os.getloadavg()}"
        )
    with connection.cursor() as cursor:
        if engine == "PostgreSQL":
            cursor.execute("VACUUM ANALYZE research_cohortcoursefact")
            cursor.execute("VACUUM ANALYZE research_cohortoutcomefact")
    for label, params in sets:
        result = page(label, params, args.repeat, True)
        same = result == live[label]
        print(f"    figures identical to the live page: {same}")
        assert same, label
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
