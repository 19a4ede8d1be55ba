"""Writing audit events. Every service that changes clinical or account data calls ``audit_record``
inside its own transaction, so the change and its event commit together or not at all."""

from __future__ import annotations

import functools
import json
from datetime import UTC
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ketaclinic.audit.chain import (
    GENESIS,
    chain_for_clinic,
    chain_genesis,
    event_hash,
    head_seal,
    parse_seal_keys,
)
from ketaclinic.audit.models import (
    READ_EVENT_TYPES,
    AuditChainHead,
    AuditEvent,
    ChainHead,
    EventType,
)
from ketaclinic.audit.policy import redact_changes, redact_extra
from ketaclinic.lib import context


class Actor(Protocol):
    """Who acts, in which clinic, with which role (an ``accounts.Membership`` fits)."""

    @property
    def user_id(self) -> int: ...
    @property
    def clinic_id(self) -> int: ...
    @property
    def role(self) -> str: ...


class AuditOutsideTransactionError(RuntimeError):
    pass


def _normalise(value: Any) -> Any:
    """The JSON the database will hand back (dates as ISO strings, Decimals as strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def hash_content(event: AuditEvent) -> dict[str, Any]:
    """The fields the hash covers, as stored. Used when writing and when verifying.

    Legacy events (``chain == ""``) cover their global ``id``; chained events cover their chain and
    position instead (their id is assigned by the database at insert, after the hash is computed).
    """
    position: dict[str, Any] = (
        {"id": event.id} if not event.chain else {"chain": event.chain, "seq": event.seq}
    )
    return {
        **position,
        "event_time": event.event_time.astimezone(UTC).isoformat(timespec="microseconds"),
        "event_type": event.event_type,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "clinic_id": event.clinic_id,
        "role": event.role,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": str(event.patient_id) if event.patient_id else None,
        "reason": event.reason,
        "extra": event.extra,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
    }


def _username_of(actor: Actor | None) -> str:
    user = getattr(actor, "user", None)
    return str(getattr(user, "username", "")) if user is not None else ""


def seal_keys() -> tuple[str, dict[str, bytes]]:
    """The current seal key id and every key that verifies (``KETACLINIC_AUDIT_SEAL_KEYS``)."""
    return _parsed_keys(str(getattr(settings, "AUDIT_SEAL_KEYS", "") or ""))


@functools.lru_cache(maxsize=4)
def _parsed_keys(raw: str) -> tuple[str, dict[str, bytes]]:
    return parse_seal_keys(raw)


def legacy_head_hash() -> str:
    head = ChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    return head or GENESIS


def seal_head(head: AuditChainHead) -> None:
    """Seal ``head`` with the current key (unsealed when no key is configured)."""
    key_id, keys = seal_keys()
    head.key_id = key_id
    head.seal = (
        head_seal(
            keys[key_id], key_id=key_id, chain=head.chain, seq=head.seq, last_hash=head.last_hash
        )
        if key_id
        else ""
    )


_EVENT_COLUMNS = (
    "chain",
    "seq",
    "event_time",
    "event_type",
    "actor",
    "actor_username",
    "clinic",
    "role",
    "object_type",
    "object_id",
    "patient_id",
    "reason",
    "extra",
    "request_id",
    "ip_address",
    "prev_hash",
    "hash",
)


@functools.cache
def _event_fields() -> tuple[models.Field[Any, Any], ...]:
    by_name = {f.name: f for f in AuditEvent._meta.concrete_fields}
    return tuple(by_name[c] for c in _EVENT_COLUMNS)


@functools.lru_cache(maxsize=8)
def _append_sql(vendor: str, combined: bool) -> tuple[str, str, str]:
    """The three fixed statements of an append, built once per database vendor (issue 15: the
    ORM compiled them on every event, about 0.5 ms each): lock and read the head; insert the
    event; move the head (and its ``write_seq`` unless the event is a read). On PostgreSQL (``combined``) the insert and the head update are one
    statement (a data-modifying CTE): one round trip fewer with the head locked."""
    from django.db import connection

    qn = connection.ops.quote_name
    head = qn(AuditChainHead._meta.db_table)
    events = qn(AuditEvent._meta.db_table)
    lock = "FOR UPDATE" if connection.features.has_select_for_update else ""
    # Only the models' own table and column names go into the text; values are parameters.
    seq, last, chain, writes = qn("seq"), qn("last_hash"), qn("chain"), qn("write_seq")
    select = f"SELECT {seq}, {last} FROM {head} WHERE {chain} = %s {lock}"  # noqa: S608
    columns = ", ".join(qn(f.column) for f in _event_fields())
    values = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    insert = f"INSERT INTO {events} ({columns}) VALUES ({values}) RETURNING {qn('id')}"  # noqa: S608
    update = (
        f"UPDATE {head} SET {seq} = %s, {last} = %s, {qn('key_id')} = %s, "  # noqa: S608
        f"{qn('seal')} = %s, {writes} = {writes} + %s WHERE {chain} = %s"
    )
    if combined:
        update = f"WITH ev AS ({insert}) {update} RETURNING (SELECT id FROM ev)"  # noqa: S608
    return select, insert, update


def _lock_chain_head(cursor: Any, select: str, chain: str) -> tuple[int, str]:
    """The head's (seq, last_hash), its row locked to the commit; created on a chain's first
    event (in a savepoint: a concurrent first event of the same chain may win)."""
    cursor.execute(select, [chain])
    row = cursor.fetchone()
    if row is not None:
        return int(row[0]), str(row[1])
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(
                chain=chain, seq=0, last_hash=chain_genesis(chain, legacy_head_hash())
            )
    except IntegrityError:
        pass
    cursor.execute(select, [chain])
    row = cursor.fetchone()
    return int(row[0]), str(row[1])


def _append(event: AuditEvent) -> None:
    """Append ``event`` (content set, no position yet) to its chain: the head locked, the event's
    seq, prev_hash and hash set, the event inserted and the head moved and sealed, all in the
    caller's transaction; the head's row lock is held until that transaction commits."""
    connection = transaction.get_connection()
    combined = connection.vendor == "postgresql"
    select, insert, update = _append_sql(connection.vendor, combined)
    with connection.cursor() as cursor:
        seq, prev = _lock_chain_head(cursor, select, event.chain)
        event.seq = seq + 1
        event.prev_hash = prev
        event.hash = event_hash(prev, hash_content(event))
        head = AuditChainHead(chain=event.chain, seq=event.seq, last_hash=event.hash)
        seal_head(head)
        params = [
            f.get_db_prep_save(getattr(event, f.attname), connection) for f in _event_fields()
        ]
        wrote = 0 if event.event_type in READ_EVENT_TYPES else 1  # the data version moves
        moved = [head.seq, head.last_hash, head.key_id, head.seal, wrote, head.chain]
        if combined:
            cursor.execute(update, [*params, *moved])
            event.id = cursor.fetchone()[0]
        else:
            cursor.execute(insert, params)
            event.id = cursor.fetchone()[0]
            cursor.execute(update, moved)
    event._state.adding = False
    event._state.db = connection.alias


def audit_record(
    *,
    event_type: EventType,
    actor: Actor | None = None,
    user_id: int | None = None,
    username: str = "",
    clinic_id: int | None = None,
    obj: models.Model | None = None,
    patient_id: UUID | None = None,
    reason: str = "",
    changes: dict[str, tuple[Any, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the change it records.

    ``changes`` maps a field name to ``(old, new)``; it is stored as ``extra["changes"]`` after the
    field policy of ``audit.policy`` (field names always; values only where they are not patient data
    or where the old value of an in-place correction must be kept, 21 CFR 11.10(e)). ``extra`` passes
    the same policy. The event goes to its clinic's chain (or the system chain) under that chain's
    head lock only.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransactionError(
            "audit_record must be called inside the transaction of the change it records"
        )
    about_patient = patient_id is not None
    payload: dict[str, Any] = redact_extra(_normalise(extra or {}), about_patient=about_patient)
    if changes:
        payload["changes"] = redact_changes(
            str(event_type), _normalise(changes), about_patient=about_patient
        )
    ctx = context.current()
    clinic = actor.clinic_id if actor and clinic_id is None else clinic_id
    chain = chain_for_clinic(clinic)
    event = AuditEvent(
        chain=chain,
        event_time=timezone.now(),
        event_type=str(event_type),
        actor_id=actor.user_id if actor else user_id,
        actor_username=username or _username_of(actor),
        clinic_id=clinic,
        role=actor.role if actor else "",
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        reason=reason,
        extra=_normalise(payload),
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
    )
    _append(event)
    return event


def chain_write_seq(clinic_id: int) -> int:
    """The clinic's data version: how many of its chain's events were not reads (one primary-key
    read). Committed writes only: an event moves it in the transaction of its change."""
    value = (
        AuditChainHead.objects.filter(pk=chain_for_clinic(clinic_id))
        .values_list("write_seq", flat=True)
        .first()
    )
    return int(value or 0)
