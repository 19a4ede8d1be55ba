"""The ledger's hash chain, pure. Each clinic's entries form one chain: an entry's hash is SHA-256
over the previous entry's hash and the entry's fields in a fixed order, so editing, deleting or
inserting an entry outside the application breaks every link after it.

The fields are joined as text with a unit separator (0x1F) rather than JSON: the same bytes on
every platform, and cheap enough that verifying a million entries takes seconds. Each value
is formatted by type (``_text``) and the separator is escaped, so a field holding it cannot shift
another field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

GENESIS = "0" * 64
_PLACES = Decimal("0.001")
SEP = "\x1f"


def _text(value: object) -> str:
    """One field as hashed: decimals at 3 places, instants in UTC to the microsecond, ids and
    UUIDs as text, None as empty; whatever the database hands back for the same stored value."""
    if value is None:
        return ""
    if type(value) is str:
        return (
            value.replace("\\", "\\\\").replace(SEP, "\\x1f")
            if "\\" in value or SEP in value
            else value
        )
    if isinstance(value, Decimal):
        text = f"{value.quantize(_PLACES):.3f}"
    elif isinstance(value, dt.datetime):
        text = value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace(SEP, "\\x1f")


def entry_bytes(fields: Sequence[object]) -> bytes:
    return SEP.join(_text(v) for v in fields).encode("utf-8")


def entry_hash(prev_hash: str, fields: Sequence[object]) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(entry_bytes(fields))
    return digest.hexdigest()


def text_field(value: str) -> str:
    """A text column as hashed (``_text`` of a str), for callers that format fields themselves."""
    return value.replace("\\", "\\\\").replace(SEP, "\\x1f")


def entry_hash_of_text(prev_hash: str, fields: Sequence[str]) -> str:
    """``entry_hash`` of fields already formatted as ``_text`` would (the verifier's fast path)."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(SEP.join(fields).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    entry_id: object
    why: str


def walk_chain(
    rows: Iterable[tuple[object, int, str, str, Sequence[object]]],
    *,
    head_sequence: int,
    head_hash: str,
    formatted: bool = False,
) -> tuple[int, ChainProblem | None]:
    """Check one clinic's chain. ``rows`` are ``(entry id, sequence, prev_hash, hash, fields)`` in
    sequence order; ``formatted``: the fields are already the hashed text. Returns how many entries were verified and the first problem, if any: a gap in
    the sequence, a broken link, a changed entry, or a tail that does not end at the head."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for entry_id, sequence, prev_hash, hash_, fields in rows:
        if sequence != expected_seq:
            return count, ChainProblem(
                expected_seq,
                entry_id,
                f"entry {sequence} follows entry {expected_seq - 1}: entries are missing or were "
                "inserted outside the application",
            )
        if prev_hash != expected_prev:
            return count, ChainProblem(
                sequence, entry_id, f"entry {sequence} does not link to the entry before it"
            )
        computed = (
            entry_hash_of_text(prev_hash, fields)  # type: ignore[arg-type]
            if formatted
            else entry_hash(prev_hash, fields)
        )
        if computed != hash_:
            return count, ChainProblem(
                sequence, entry_id, f"entry {sequence} was changed after it was written"
            )
        expected_prev = hash_
        expected_seq += 1
        count += 1
    last = expected_seq - 1
    if head_sequence > last:
        return count, ChainProblem(
            last + 1, None, f"entries {last + 1} to {head_sequence} were deleted"
        )
    if head_sequence < last or head_hash != expected_prev:
        return count, ChainProblem(
            head_sequence + 1,
            None,
            f"entry {head_sequence + 1} onwards were added outside the application",
        )
    return count, None
