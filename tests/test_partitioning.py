"""The monthly partitioning path of docs/scaling.md, on PostgreSQL (bench/partition.py): the audit
and observation tables converted with their data keep the chain verifying, keep refusing edits,
and keep every page and report that reads them working; new writes land in their month.

The conversion runs inside the test's transaction, which PostgreSQL rolls back with the DDL, so
the worker's database keeps its ordinary tables for the next test."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent
from ketaclinic.audit.report import audit_report
from ketaclinic.audit.verify import audit_chain_verify
from ketaclinic.treatment.models import Observation

_SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "partition.py"
_SPEC = importlib.util.spec_from_file_location("bench_partition", _SCRIPT)
assert _SPEC is not None and _SPEC.loader is not None
partition = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(partition)

pytestmark = pytest.mark.django_db


def _partitions(table: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [r[0] for r in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - catalogue names
            counts[name] = cursor.fetchone()[0]
    return counts


def test_audit_and_observations_partitioned_by_month_keep_the_chain_and_the_pages(
    client, clinic_admin, nurse, prescriber
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("partitioning is PostgreSQL's; the suite's PostgreSQL run covers this")
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    now = timezone.now()
    sessions = []
    for months_ago in (3, 1, 0):  # history in three different months
        with time_machine.travel(now - dt.timedelta(days=31 * months_ago), tick=True):
            sessions.append(
                testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
            )
    events, observations = AuditEvent.objects.count(), Observation.objects.count()
    report_before = audit_report(since=now - dt.timedelta(days=200), until=now)
    assert audit_chain_verify().ok

    today = timezone.now().date()
    with connection.cursor() as cursor:
        made = {
            t: partition.partition_by_month(cursor, t, c, today=today)
            for t, c in partition.TABLES.items()
        }
        assert partition.add_months(cursor, "audit_auditevent", today=today) == 3  # idempotent
    audit_parts = _partitions("audit_auditevent")
    assert made["audit_auditevent"] >= 6 and len(audit_parts) == made["audit_auditevent"] + 1
    assert sum(audit_parts.values()) == events
    assert sum(1 for n in audit_parts.values() if n) >= 3  # the rows sit in their months
    assert audit_parts["audit_auditevent_pdefault"] == 0
    assert sum(_partitions("treatment_observation").values()) == observations

    # The chain verifies, the report counts the same, the pages that read both tables open.
    assert audit_chain_verify().ok
    report_after = audit_report(since=now - dt.timedelta(days=200), until=now)
    assert report_after.total == report_before.total
    testing.sign_in(client, clinic_admin)
    assert client.get(reverse("audit:list")).status_code == 200
    testing.sign_in(client, nurse)
    page = client.get(reverse("treatment:session", kwargs={"session_id": sessions[-1].pk}))
    assert page.status_code == 200

    # New writes go on: a patient, a session and its readings, each with its chained audit event.
    patient = testing.patient_maker()(prescriber, family_name="AfterPartitioning")
    testing.weigh(prescriber, patient)
    testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, patient=patient, systolic=131
    )
    assert AuditEvent.objects.filter(patient_id=patient.pk).exists()
    assert Observation.objects.filter(systolic_mmhg=131).exists()
    assert audit_chain_verify().ok
    month = f"audit_auditevent_p{today:%Y_%m}"
    assert _partitions("audit_auditevent")[month] > audit_parts[month]

    # Still append-only: the trigger was recreated on the parent and cloned to every partition.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(patient_id=patient.pk).update(reason="rewritten")
