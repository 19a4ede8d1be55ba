"""Writing audit events. Every service that changes clinical or account data calls ``audit_record``
inside its own transaction, so the change and its event commit together or not at all."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, Protocol
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.audit.chain import GENESIS, event_hash
from ketaclinic.audit.models import AuditEvent, ChainHead, EventType
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
    """The fields the hash covers, as stored. Used when writing and when verifying."""
    return {
        "id": event.id,
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


def _lock_head() -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = ChainHead.objects.get_or_create(
            pk=1, defaults={"last_hash": GENESIS, "last_event_id": 0, "event_count": 0}
        )
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


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

    ``changes`` maps a field name to ``(old, new)``; it is stored as ``extra["changes"]``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransactionError(
            "audit_record must be called inside the transaction of the change it records"
        )
    payload: dict[str, Any] = dict(extra or {})
    if changes:
        payload["changes"] = {k: {"old": old, "new": new} for k, (old, new) in changes.items()}
    ctx = context.current()
    head = _lock_head()
    event = AuditEvent(
        id=head.last_event_id + 1,
        event_time=timezone.now(),
        event_type=str(event_type),
        actor_id=actor.user_id if actor else user_id,
        actor_username=username or _username_of(actor),
        clinic_id=actor.clinic_id if actor and clinic_id is None else clinic_id,
        role=actor.role if actor else "",
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        reason=reason,
        extra=_normalise(payload),
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event.prev_hash, hash_content(event))
    event.save(force_insert=True)
    head.last_event_id = event.id
    head.last_hash = event.hash
    head.event_count += 1
    head.save(update_fields=["last_event_id", "last_hash", "event_count"])
    return event
