"""Walk the audit chain and report the first event that does not fit."""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.audit.chain import GENESIS, event_hash
from ketaclinic.audit.models import AuditEvent, ChainHead
from ketaclinic.audit.services import hash_content


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    problem: str = ""
    first_bad_event_id: int | None = None


def audit_chain_verify(*, chunk_size: int = 5000) -> VerifyResult:
    prev_hash = GENESIS
    prev_id = 0
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.id != prev_id + 1:
            return VerifyResult(
                False,
                count,
                f"event {event.id} follows event {prev_id}: events are missing "
                "or were inserted outside the application",
                event.id,
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False, count, f"event {event.id} does not link to the event before it", event.id
            )
        if event_hash(event.prev_hash, hash_content(event)) != event.hash:
            return VerifyResult(
                False, count, f"event {event.id} was changed after it was written", event.id
            )
        prev_hash = event.hash
        prev_id = event.id
        count += 1
    head = ChainHead.objects.filter(pk=1).first()
    head_id = head.last_event_id if head else 0
    head_hash = head.last_hash if head else GENESIS
    if head_id != prev_id or head_hash != prev_hash:
        if head_id > prev_id:
            return VerifyResult(
                False, count, f"events after {prev_id} up to {head_id} were deleted", prev_id + 1
            )
        return VerifyResult(
            False,
            count,
            f"event {head_id + 1} onwards were added outside the application",
            head_id + 1,
        )
    return VerifyResult(True, count)
