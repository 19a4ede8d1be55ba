"""Events written before migration 0004 stay as they were (the legacy global chain) and keep
verifying; every new chain starts from a genesis bound to the legacy head."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from ketaclinic.audit.chain import GENESIS, chain_genesis, event_hash
from ketaclinic.audit.models import AuditEvent, ChainHead, EventType
from ketaclinic.audit.services import audit_record, hash_content
from ketaclinic.audit.verify import audit_chain_verify


def _legacy_events(n: int) -> str:
    """Events as the pre-0004 code wrote them: ids 1..n, one global chain, ChainHead row 1."""
    prev = GENESIS
    for i in range(1, n + 1):
        event = AuditEvent(
            id=i,
            event_time=datetime(2026, 1, 1, 9, i, tzinfo=UTC),
            event_type=str(EventType.LOGIN_FAILED),
            actor_username=f"user{i}",
            prev_hash=prev,
        )
        event.hash = event_hash(prev, hash_content(event))
        event.save(force_insert=True)
        prev = event.hash
    ChainHead.objects.update_or_create(
        pk=1, defaults={"last_event_id": n, "last_hash": prev, "event_count": n}
    )
    return prev


@pytest.mark.django_db
def test_legacy_events_verify_and_new_chains_start_from_their_head() -> None:
    legacy_head = _legacy_events(3)
    with transaction.atomic():
        event = audit_record(event_type=EventType.LOGIN_FAILED, username="after")
    assert event.chain == "system"
    assert event.seq == 1
    assert event.prev_hash == chain_genesis("system", legacy_head)
    result = audit_chain_verify()
    assert result.ok, result.problem
    assert result.events == 4


@pytest.mark.django_db
def test_swapping_the_legacy_head_breaks_every_chain_after_it() -> None:
    _legacy_events(2)
    with transaction.atomic():
        audit_record(event_type=EventType.LOGIN_FAILED, username="after")
    # Rewrite history before the migration consistently: drop legacy event 2, move the legacy head.
    from ketaclinic.audit.tests.test_tamper import _tamper

    _tamper([("DELETE FROM audit_auditevent WHERE id = %s", [2])])
    first = AuditEvent.objects.get(pk=1)
    ChainHead.objects.filter(pk=1).update(last_event_id=1, last_hash=first.hash)
    result = audit_chain_verify()
    assert not result.ok
    assert "system: event 1 does not link" in result.problem
