from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.services import AuditOutsideTransactionError, audit_record
from ketaclinic.audit.verify import audit_chain_verify


def _record_events(n: int, membership) -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(
                event_type=EventType.PATIENT_UPDATED,
                actor=membership,
                reason=f"reason {i}",
                changes={"given_name": (f"Old{i}", f"New{i}")},
            )


def _verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def _raw(sql: str, params: list[Any]) -> None:
    """Tamper as an attacker with database access would: raw SQL past the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser skips triggers
        else:  # the owner of an SQLite file can drop its triggers (restored when the test rolls back)
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_verify_counts_every_event_of_an_intact_chain(nurse) -> None:
    before = AuditEvent.objects.count()
    _record_events(5, nurse)
    result = audit_chain_verify()
    assert result.ok
    assert result.events == before + 5
    assert f"{before + 5} events" in _verify_output()


def test_each_event_links_to_the_hash_of_the_one_before(nurse) -> None:
    _record_events(3, nurse)
    events = list(AuditEvent.objects.filter(chain=f"clinic:{nurse.clinic_id}").order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for prev, event in pairwise(events):
        assert event.prev_hash == prev.hash


def test_an_event_keeps_who_what_old_and_new_values(nurse) -> None:
    _record_events(1, nurse)
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.actor_id == nurse.user_id
    assert event.actor_username == nurse.user.username
    assert event.clinic_id == nurse.clinic_id
    assert event.role == "nurse"
    assert event.extra["changes"] == {"given_name": {"old": "Old0", "new": "New0"}}
    assert event.reason == "reason 0"


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(nurse) -> None:
    with pytest.raises(AuditOutsideTransactionError):
        audit_record(event_type=EventType.PATIENT_VIEWED, actor=nurse)


def test_an_edited_row_breaks_verification_at_that_event(nurse) -> None:
    _record_events(5, nurse)
    target = AuditEvent.objects.order_by("id")[2]
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["tampered", target.id])
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_bad_event_id == target.id
    with pytest.raises(CommandError, match=f"event {target.id}"):
        _verify_output()


def test_a_deleted_row_breaks_verification(nurse) -> None:
    _record_events(5, nurse)
    target = AuditEvent.objects.order_by("id")[2]
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [target.id])
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_bad_event_id == target.id + 1
    with pytest.raises(CommandError, match="BROKEN"):
        _verify_output()


def test_deleting_the_newest_rows_breaks_verification(nurse) -> None:
    _record_events(4, nurse)
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [last.id])
    result = audit_chain_verify()
    assert not result.ok
    assert "deleted" in result.problem


def test_a_row_inserted_outside_the_application_breaks_verification(nurse) -> None:
    _record_events(3, nurse)
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    # A well-formed row that even links to the last hash: still detected (the chain head disagrees).
    _raw(
        "INSERT INTO audit_auditevent (id, event_time, event_type, actor_username, role, "
        "object_type, object_id, reason, extra, request_id, prev_hash, hash, clinic_id, chain, "
        "seq) VALUES (%s, %s, 'patient.viewed', 'mallory', '', '', '', '', '{}', '', %s, %s, "
        "%s, %s, %s)",
        [
            last.id + 1,
            last.event_time,
            last.hash,
            "f" * 64,
            last.clinic_id,
            last.chain,
            (last.seq or 0) + 1,
        ],
    )
    result = audit_chain_verify()
    assert not result.ok
    assert result.first_bad_event_id == last.id + 1


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete_on_the_audit_table(nurse) -> None:
    from django.db import DatabaseError

    _record_events(1, nurse)
    event_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    for sql in (
        "UPDATE audit_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event_id])
    assert audit_chain_verify().ok
