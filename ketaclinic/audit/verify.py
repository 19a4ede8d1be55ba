"""Walk the audit chains and report the first event or head that does not fit.

Three layers, each catching what the one before cannot (docs/security.md, "Audit trail"):

1. the hash chains: an edited, deleted or inserted row breaks its chain or disagrees with the head;
2. the head seals (HMAC under a key outside the database): a rewritten chain whose head was moved
   to match is refused, unless the rewriter also holds the key;
3. the anchors (heads written to a file outside the database by ``audit anchor``): a chain that no
   longer contains an anchored event (truncated, rolled back to an older sealed head, or deleted
   with its head) is refused even when every seal is valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max

from ketaclinic.audit.chain import (
    GENESIS,
    LEGACY_CHAIN,
    SYSTEM_CHAIN,
    Anchor,
    chain_genesis,
    event_hash,
    seal_matches,
)
from ketaclinic.audit.models import AuditChainHead, AuditEvent, ChainHead
from ketaclinic.audit.services import hash_content, seal_keys


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    problem: str = ""
    first_bad_event_id: int | None = None
    chains: int = 0
    sealed: bool = False
    anchors: int = 0
    notes: tuple[str, ...] = field(default=())


class _BrokenError(Exception):
    def __init__(self, problem: str, event_id: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.event_id = event_id


def _walk_legacy(anchored: dict[int, str], chunk_size: int) -> tuple[int, str]:
    """The frozen pre-0004 global chain (``chain=""``, positions are ids). Returns (count, head)."""
    prev_hash, prev_id, count = GENESIS, 0, 0
    legacy = AuditEvent.objects.filter(chain="").order_by("id")
    for event in legacy.iterator(chunk_size=chunk_size):
        if event.id != prev_id + 1:
            raise _BrokenError(
                f"legacy event {event.id} follows event {prev_id}: events are missing "
                "or were inserted outside the application",
                event.id,
            )
        if event.prev_hash != prev_hash:
            raise _BrokenError(f"event {event.id} does not link to the event before it", event.id)
        if event_hash(event.prev_hash, hash_content(event)) != event.hash:
            raise _BrokenError(f"event {event.id} was changed after it was written", event.id)
        if anchored.get(event.id, event.hash) != event.hash:
            raise _BrokenError(f"legacy event {event.id} differs from its anchor", event.id)
        prev_hash, prev_id, count = event.hash, event.id, count + 1
    head = ChainHead.objects.filter(pk=1).first()
    head_id = head.last_event_id if head else 0
    head_hash = head.last_hash if head else GENESIS
    if head_id != prev_id or head_hash != prev_hash:
        if head_id > prev_id:
            raise _BrokenError(f"events after {prev_id} up to {head_id} were deleted", prev_id + 1)
        raise _BrokenError(
            f"event {head_id + 1} onwards were added outside the application", head_id + 1
        )
    missing = [seq for seq in anchored if seq > prev_id]
    if missing:
        raise _BrokenError(f"the legacy chain no longer reaches anchored event {min(missing)}")
    return count, prev_hash


def _walk_chain(
    chain: str, legacy_hash: str, anchored: dict[int, str], chunk_size: int
) -> tuple[int, AuditChainHead | None]:
    head = AuditChainHead.objects.filter(pk=chain).first()
    prev_hash, seq = chain_genesis(chain, legacy_hash), 0
    limit = head.seq if head else 0
    events = AuditEvent.objects.filter(chain=chain, seq__lte=limit).order_by("seq")
    for event in events.iterator(chunk_size=chunk_size):
        if event.seq != seq + 1:
            raise _BrokenError(
                f"{chain}: event {event.seq} follows event {seq}: events are missing", event.id
            )
        if event.prev_hash != prev_hash:
            raise _BrokenError(
                f"{chain}: event {event.seq} does not link to the one before", event.id
            )
        if event_hash(event.prev_hash, hash_content(event)) != event.hash:
            raise _BrokenError(
                f"{chain}: event {event.seq} was changed after it was written", event.id
            )
        expected_chain = SYSTEM_CHAIN if event.clinic_id is None else f"clinic:{event.clinic_id}"
        if expected_chain != chain:
            raise _BrokenError(f"{chain}: event {event.seq} belongs to {expected_chain}", event.id)
        if anchored.get(event.seq, event.hash) != event.hash:
            raise _BrokenError(f"{chain}: event {event.seq} differs from its anchor", event.id)
        prev_hash, seq = event.hash, event.seq
    if head is not None and (seq != head.seq or prev_hash != head.last_hash):
        raise _BrokenError(
            f"{chain}: the head names event {head.seq} but the chain ends at event {seq}: "
            "events were deleted or the head was moved"
        )
    # A committed event always has a committed head at or past it (same transaction), so events
    # past a head read again now were written outside the application.
    newest = AuditEvent.objects.filter(chain=chain).aggregate(m=Max("seq"))["m"] or 0
    current = AuditChainHead.objects.filter(pk=chain).values_list("seq", flat=True).first() or 0
    if newest > current:
        first = (
            AuditEvent.objects.filter(chain=chain, seq__gt=current)
            .order_by("seq")
            .values_list("id", flat=True)
            .first()
        )
        raise _BrokenError(
            f"{chain}: events after {current} were added outside the application", first
        )
    missing = [s for s in anchored if s > seq]
    if missing:
        raise _BrokenError(
            f"{chain}: the chain ends at event {seq} but event {min(missing)} was anchored: "
            "the chain was truncated, rolled back or deleted"
        )
    return seq, head


def _check_seal(head: AuditChainHead, keys: dict[str, bytes]) -> None:
    if not head.seal:
        raise _BrokenError(f"{head.chain}: the head is not sealed (run `ketaclinic audit seal`)")
    if head.key_id not in keys:
        raise _BrokenError(
            f"{head.chain}: the head is sealed with key {head.key_id!r}, not configured"
        )
    if not seal_matches(
        keys,
        key_id=head.key_id,
        chain=head.chain,
        seq=head.seq,
        last_hash=head.last_hash,
        seal=head.seal,
    ):
        raise _BrokenError(
            f"{head.chain}: the head's seal does not match: the chain or its head was rewritten"
        )


def audit_chain_verify(
    *, anchors: Iterable[Anchor] = (), chunk_size: int = 5000, require_seal: bool | None = None
) -> VerifyResult:
    """Verify every chain. Seals are checked when a key is configured (or ``require_seal``)."""
    by_chain: dict[str, dict[int, str]] = {}
    anchor_list = list(anchors)
    for anchor in anchor_list:
        by_chain.setdefault(anchor.chain, {})[anchor.seq] = anchor.hash
    _, keys = seal_keys()
    check_seals = bool(keys) if require_seal is None else require_seal
    total, chains = 0, 0
    try:
        count, legacy_hash = _walk_legacy(by_chain.pop(LEGACY_CHAIN, {}), chunk_size)
        total += count
        names = set(AuditEvent.objects.exclude(chain="").values_list("chain", flat=True).distinct())
        names |= set(AuditChainHead.objects.values_list("chain", flat=True))
        names |= set(by_chain)
        for chain in sorted(names):
            count, head = _walk_chain(chain, legacy_hash, by_chain.get(chain, {}), chunk_size)
            total += count
            chains += 1
            if check_seals and head is not None:
                _check_seal(head, keys)
    except _BrokenError as broken:
        return VerifyResult(False, total, broken.problem, broken.event_id, chains)
    notes = () if check_seals else ("heads not checked against a seal key (none configured)",)
    return VerifyResult(True, total, "", None, chains, check_seals, len(anchor_list), notes)


def current_anchors(at: str) -> list[Anchor]:
    """Every chain's head as an anchor (the legacy chain too, when it holds events)."""
    out: list[Anchor] = []
    legacy = ChainHead.objects.filter(pk=1).first()
    if legacy is not None and legacy.last_event_id:
        out.append(Anchor(LEGACY_CHAIN, legacy.last_event_id, legacy.last_hash, at))
    heads = AuditChainHead.objects.filter(seq__gt=0).order_by("chain")
    out.extend(Anchor(h.chain, h.seq, h.last_hash, at) for h in heads)
    return out
