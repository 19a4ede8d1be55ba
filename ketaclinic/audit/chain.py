"""Pure hash-chain arithmetic for the audit trail (no Django import): event hashes, chain names and
genesis, HMAC seals of chain heads, and the anchor lines written outside the database."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    """A byte string that is the same for the same content whatever the dict order or platform."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(content))
    return digest.hexdigest()


# ---- per-clinic chains, sealed heads and anchors (issue 10) ------------------------------------------

SYSTEM_CHAIN = "system"
LEGACY_CHAIN = "legacy"  # the name anchors use for the frozen pre-0004 global chain (stored as "")


def chain_for_clinic(clinic_id: int | None) -> str:
    """Each clinic's events are their own record; events without a clinic go to the system chain."""
    return SYSTEM_CHAIN if clinic_id is None else f"clinic:{clinic_id}"


def chain_genesis(chain: str, legacy_head_hash: str) -> str:
    """The ``prev_hash`` of a chain's first event: bound to the chain's name and to the head of the
    legacy global chain, so neither can be swapped without breaking every chain after it."""
    digest = hashlib.sha256(b"ketaclinic audit genesis\n")
    digest.update(chain.encode("ascii"))
    digest.update(b"\n")
    digest.update(legacy_head_hash.encode("ascii"))
    return digest.hexdigest()


class SealKeyError(ValueError):
    """A malformed seal key list; the message never contains a key."""


def parse_seal_keys(raw: str | None) -> tuple[str, dict[str, bytes]]:
    """``"<id>:<secret>[,<id>:<secret>...]"``: the first key seals, every listed key verifies.

    Returns (current key id, {key id: secret}); ("", {}) when no key is configured.
    """
    if raw is None or not raw.strip():
        return "", {}
    keys: dict[str, bytes] = {}
    current = ""
    for item in raw.split(","):
        key_id, sep, secret = item.strip().partition(":")
        if not sep or not key_id or not key_id.isalnum() or len(key_id) > 32:
            raise SealKeyError("each audit seal key is written <id>:<secret>, id alphanumeric")
        if len(secret) < 32:
            raise SealKeyError(f"audit seal key {key_id!r} is shorter than 32 characters")
        if key_id in keys:
            raise SealKeyError(f"audit seal key id {key_id!r} is listed twice")
        keys[key_id] = secret.encode()
        current = current or key_id
    return current, keys


def head_seal(key: bytes, *, key_id: str, chain: str, seq: int, last_hash: str) -> str:
    message = canonical({"chain": chain, "key_id": key_id, "last_hash": last_hash, "seq": seq})
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_matches(
    keys: Mapping[str, bytes], *, key_id: str, chain: str, seq: int, last_hash: str, seal: str
) -> bool:
    key = keys.get(key_id)
    if key is None or not seal:
        return False
    expected = head_seal(key, key_id=key_id, chain=chain, seq=seq, last_hash=last_hash)
    return hmac.compare_digest(expected, seal)


@dataclass(frozen=True)
class Anchor:
    """A chain's head written outside the database: the chain must still contain event ``seq`` with
    exactly this hash (later events may follow)."""

    chain: str
    seq: int
    hash: str
    at: str = ""


ANCHOR_TAG = "ketaclinic-audit-anchor"


def format_anchor(anchor: Anchor) -> str:
    return f"{ANCHOR_TAG} {anchor.at} chain={anchor.chain} seq={anchor.seq} hash={anchor.hash}"


class AnchorFormatError(ValueError):
    pass


def parse_anchors(text: str) -> list[Anchor]:
    """Anchor lines from a file (other lines, e.g. syslog prefixes or comments, are skipped)."""
    anchors: list[Anchor] = []
    for number, line in enumerate(text.splitlines(), start=1):
        start = line.find(ANCHOR_TAG)
        if start < 0:
            continue
        parts = line[start:].split()
        fields = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        try:
            seq = int(fields["seq"])
            chain, digest = fields["chain"], fields["hash"]
        except (KeyError, ValueError):
            raise AnchorFormatError(f"line {number} is not a complete anchor") from None
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or seq < 0:
            raise AnchorFormatError(f"line {number} has a malformed hash or position")
        anchors.append(
            Anchor(chain=chain, seq=seq, hash=digest, at=parts[1] if len(parts) > 1 else "")
        )
    return anchors
