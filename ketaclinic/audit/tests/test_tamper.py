"""The four rewrite attacks of issue 10 (finding 5), each by someone with write access to the database
who knows the (public) hash algorithm but not the seal key and cannot reach the anchor file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from ketaclinic.audit.chain import chain_for_clinic, event_hash, head_seal, parse_anchors
from ketaclinic.audit.models import AuditChainHead, AuditEvent, EventType
from ketaclinic.audit.services import audit_record, hash_content
from ketaclinic.audit.verify import audit_chain_verify, current_anchors

KEY = "k1:" + "s" * 40
ROTATED = "k2:" + "t" * 40 + "," + KEY


def _record(membership: Any, n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(event_type=EventType.CLINIC_UPDATED, actor=membership, reason=f"r{i}")


def _tamper(statements: list[tuple[str, list[Any]]]) -> None:
    """Raw SQL past the append-only triggers, as a database owner could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            for table in ("audit_auditevent",):
                for op in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _chain(membership: Any) -> str:
    return chain_for_clinic(membership.clinic_id)


def _events(chain: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))


def _move_head(chain: str, seq: int, last_hash: str, seal: str | None = None) -> None:
    """Move the head as the attacker would; without the key the seal is a guess."""
    _tamper(
        [
            (
                "UPDATE audit_auditchainhead SET seq = %s, last_hash = %s, seal = %s "
                "WHERE chain = %s",
                [seq, last_hash, seal if seal is not None else "0" * 64, chain],
            )
        ]
    )


def _anchor_file(tmp_path: Path) -> Path:
    path = tmp_path / "anchors.log"
    call_command("audit", "anchor", "--file", str(path), stdout=StringIO())
    return path


def _verify(path: Path | None = None) -> str:
    out = StringIO()
    args = ["audit", "verify"] + (["--anchors", str(path)] if path else [])
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sealed(settings) -> None:
    """A seal key from before the personas exist, so every head (their set-up events too) is sealed."""
    settings.AUDIT_SEAL_KEYS = KEY


def test_an_untouched_sealed_chain_verifies_with_its_anchors(sealed, nurse, tmp_path) -> None:
    _record(nurse, 3)
    path = _anchor_file(tmp_path)
    _record(nurse, 2)  # the chain may grow past an anchor
    output = _verify(path)
    assert "intact" in output
    assert "heads sealed" in output
    assert "extends all" in output


# ---- attack 1: truncate the tail and move the head back -------------------------------------------


def test_truncating_the_tail_and_moving_the_head_back_breaks_the_seal(sealed, nurse) -> None:
    _record(nurse, 5)
    chain = _chain(nurse)
    events = _events(chain)
    _tamper([("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 3", [chain])])
    _move_head(chain, 3, events[2].hash)
    result = audit_chain_verify()
    assert not result.ok
    assert "seal" in result.problem


def test_rolling_back_to_an_older_valid_seal_is_caught_by_the_anchor(
    sealed, nurse, tmp_path
) -> None:
    _record(nurse, 3)
    chain = _chain(nurse)
    old_head = AuditChainHead.objects.get(pk=chain)  # the attacker kept this sealed row
    _record(nurse, 2)
    path = _anchor_file(tmp_path)
    _tamper([("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [chain, old_head.seq])])
    _move_head(chain, old_head.seq, old_head.last_hash, old_head.seal)
    assert audit_chain_verify().ok  # every seal is genuine: only the anchor knows better
    with pytest.raises(CommandError, match="truncated"):
        _verify(path)


def test_truncation_without_a_key_is_caught_by_the_anchor(nurse, tmp_path) -> None:
    _record(nurse, 4)
    chain = _chain(nurse)
    path = _anchor_file(tmp_path)
    events = _events(chain)
    _tamper([("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 2", [chain])])
    _move_head(chain, 2, events[1].hash, "")
    with pytest.raises(CommandError, match="BROKEN"):
        _verify(path)


# ---- attack 2: delete every event and every head -------------------------------------------------


def test_deleting_every_event_and_head_is_caught_by_the_anchor(nurse, tmp_path) -> None:
    _record(nurse, 3)
    path = _anchor_file(tmp_path)
    _tamper(
        [
            ("DELETE FROM audit_auditevent", []),
            ("DELETE FROM audit_auditchainhead", []),
        ]
    )
    result = audit_chain_verify(anchors=parse_anchors(path.read_text()))
    assert not result.ok
    assert _chain(nurse) in result.problem
    with pytest.raises(CommandError, match="BROKEN"):
        _verify(path)


# ---- attack 3: edit a middle row and recompute every later hash ----------------------------------


def _rewrite_from(chain: str, seq: int, reason: str) -> str:
    """Edit event ``seq`` and recompute it and every later hash; returns the new last hash."""
    statements: list[tuple[str, list[Any]]] = []
    events = _events(chain)
    prev = events[seq - 2].hash if seq > 1 else events[0].prev_hash
    for event in events[seq - 1 :]:
        if event.seq == seq:
            event.reason = reason
        event.prev_hash = prev
        event.hash = event_hash(prev, hash_content(event))
        statements.append(
            (
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.reason, event.prev_hash, event.hash, event.id],
            )
        )
        prev = event.hash
    _tamper(statements)
    return prev


def test_an_edit_with_recomputed_later_hashes_breaks_the_seal(sealed, nurse) -> None:
    _record(nurse, 5)
    chain = _chain(nurse)
    new_last = _rewrite_from(chain, 3, "nothing to see")
    _move_head(chain, len(_events(chain)), new_last)
    result = audit_chain_verify()
    assert not result.ok
    assert "seal" in result.problem


def test_an_edit_with_recomputed_later_hashes_differs_from_the_anchor(nurse, tmp_path) -> None:
    _record(nurse, 5)
    chain = _chain(nurse)
    path = _anchor_file(tmp_path)
    new_last = _rewrite_from(chain, 3, "nothing to see")
    _move_head(chain, len(_events(chain)), new_last, "")
    assert audit_chain_verify().ok  # no key: the rewrite is self-consistent
    with pytest.raises(CommandError, match="differs from its anchor"):
        _verify(path)


# ---- attack 4: append a forged row and move the head ---------------------------------------------


def test_an_appended_forged_row_with_a_moved_head_breaks_the_seal(sealed, nurse) -> None:
    _record(nurse, 2)
    chain = _chain(nurse)
    last = _events(chain)[-1]
    forged = AuditEvent(
        chain=chain,
        seq=len(_events(chain)) + 1,
        event_time=last.event_time,
        event_type=str(EventType.PATIENT_VIEWED),
        actor_username="mallory",
        clinic_id=nurse.clinic_id,
        prev_hash=last.hash,
    )
    forged.hash = event_hash(forged.prev_hash, hash_content(forged))
    _tamper(
        [
            (
                "INSERT INTO audit_auditevent (event_time, event_type, actor_username, clinic_id, "
                "role, object_type, object_id, reason, extra, request_id, prev_hash, hash, chain, "
                "seq) VALUES (%s, %s, 'mallory', %s, '', '', '', '', '{}', '', %s, %s, %s, %s)",
                [
                    forged.event_time,
                    forged.event_type,
                    nurse.clinic_id,
                    forged.prev_hash,
                    forged.hash,
                    chain,
                    forged.seq,
                ],
            )
        ]
    )
    assert not audit_chain_verify().ok  # the head still names the real last event
    _move_head(chain, len(_events(chain)), forged.hash)
    result = audit_chain_verify()
    assert not result.ok
    assert "seal" in result.problem
    with pytest.raises(CommandError, match="BROKEN"):
        _verify()


# ---- keys, seals and triggers --------------------------------------------------------------------


def test_a_head_sealed_with_a_rotated_out_key_still_verifies_while_listed(sealed, nurse) -> None:
    _record(nurse, 2)
    with override_settings(AUDIT_SEAL_KEYS=ROTATED):
        assert AuditChainHead.objects.get(pk=_chain(nurse)).key_id == "k1"
        assert audit_chain_verify().ok  # old seal, old key
        _record(nurse, 1)
        assert AuditChainHead.objects.get(pk=_chain(nurse)).key_id == "k2"
        assert audit_chain_verify().sealed
    with override_settings(AUDIT_SEAL_KEYS="k3:" + "u" * 40):
        assert "not configured" in audit_chain_verify().problem


def test_the_seal_command_seals_heads_written_before_a_key_was_set(nurse) -> None:
    _record(nurse, 2)
    with override_settings(AUDIT_SEAL_KEYS=KEY):
        assert "not sealed" in audit_chain_verify().problem
        call_command("audit", "seal", stdout=StringIO())
        head = AuditChainHead.objects.get(pk=_chain(nurse))
        key = KEY.split(":", 1)[1].encode()
        assert head.seal == head_seal(
            key, key_id="k1", chain=head.chain, seq=head.seq, last_hash=head.last_hash
        )
        assert audit_chain_verify().ok


def test_each_clinic_and_the_system_have_their_own_chain(nurse, outsider) -> None:
    _record(nurse, 2)
    _record(outsider, 1)
    with transaction.atomic():
        audit_record(event_type=EventType.LOGIN_FAILED, username="nobody")
    assert [e.seq for e in _events(_chain(nurse))][-2:] == [
        len(_events(_chain(nurse))) - 1,
        len(_events(_chain(nurse))),
    ]
    assert _events("system")[-1].actor_username == "nobody"
    chains = {a.chain for a in current_anchors("now")}
    assert {_chain(nurse), _chain(outsider), "system"} <= chains
    assert audit_chain_verify().ok


def test_the_anchor_command_appends_and_never_truncates(nurse, tmp_path) -> None:
    _record(nurse, 1)
    path = _anchor_file(tmp_path)
    first = path.read_text()
    _record(nurse, 1)
    call_command("audit", "anchor", "--file", str(path), stdout=StringIO())
    text = path.read_text()
    assert text.startswith(first)
    assert len(parse_anchors(text)) > len(parse_anchors(first))


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"]
)
def test_the_database_refuses_update_and_delete_on_the_audit_table(nurse, sql) -> None:
    _record(nurse, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert audit_chain_verify().ok


def test_deploy_checks_warn_without_a_seal_key_and_refuse_a_malformed_one(settings) -> None:
    from ketaclinic.audit.apps import check_seal_keys, check_seal_keys_deploy

    settings.AUDIT_SEAL_KEYS = ""
    assert [m.id for m in check_seal_keys_deploy()] == ["audit.W001"]
    settings.AUDIT_SEAL_KEYS = KEY
    assert check_seal_keys_deploy() == []
    assert check_seal_keys() == []
    settings.AUDIT_SEAL_KEYS = "k1:short"
    errors = check_seal_keys()
    assert [m.id for m in errors] == ["audit.E001"]
    assert "short" not in errors[0].msg.replace("shorter", "")  # the message names no secret
