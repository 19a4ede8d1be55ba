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
from ketaclinic.audit.models import AuditChainHead, AuditEvent, ChainHead, EventType
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


def _lock_chain_head(chain: str) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():  # a savepoint: a concurrent first event of this chain may win
            AuditChainHead.objects.create(
                chain=chain, seq=0, last_hash=chain_genesis(chain, legacy_head_hash())
            )
    except IntegrityError:
        pass
    return AuditChainHead.objects.select_for_update().get(pk=chain)


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
    head = _lock_chain_head(chain)
    seq = head.seq + 1
    event = AuditEvent(
        chain=chain,
        seq=seq,
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
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event.prev_hash, hash_content(event))
    event.save(force_insert=True)
    head.seq = seq
    head.last_hash = event.hash
    seal_head(head)
    head.save(update_fields=["seq", "last_hash", "key_id", "seal"])
    return event
