"""Walk each clinic's ledger chain and report the first entry that does not fit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ketaclinic.inventory.domain.chain import GENESIS, walk_chain
from ketaclinic.inventory.models import LedgerEntry, LedgerHead
from ketaclinic.inventory.services._common import HASHED_FIELDS


@dataclass(frozen=True)
class LedgerVerifyResult:
    ok: bool
    entries: int
    clinic_id: int | None = None
    first_bad_sequence: int | None = None
    first_bad_entry_id: int | None = None
    problem: str = ""


def _rows(
    clinic_id: int, chunk_size: int
) -> Iterator[tuple[object, int, str, str, Sequence[object]]]:
    n = len(HASHED_FIELDS)
    values = (
        LedgerEntry.objects.filter(clinic_id=clinic_id)
        .order_by("sequence")
        .values_list(*HASHED_FIELDS, "id", "prev_hash", "hash")
    )
    for row in values.iterator(chunk_size=chunk_size):
        yield row[n], row[1], row[n + 1], row[n + 2], row[:n]


def ledger_verify(*, clinic_id: int | None = None, chunk_size: int = 10_000) -> LedgerVerifyResult:
    """Every clinic's chain (or one): sequences without gaps, each entry linked to the one before
    it, each hash matching the entry's content, and the chain ending at the clinic's head."""
    heads = {h.clinic_id: h for h in LedgerHead.objects.all()}
    clinics = set(heads) | set(LedgerEntry.objects.values_list("clinic_id", flat=True).distinct())
    if clinic_id is not None:
        clinics &= {clinic_id}
    total = 0
    for clinic in sorted(clinics):
        head = heads.get(clinic)
        count, problem = walk_chain(
            _rows(clinic, chunk_size),
            head_sequence=head.last_sequence if head else 0,
            head_hash=head.last_hash if head else GENESIS,
        )
        total += count
        if problem is not None:
            entry_id = problem.entry_id if isinstance(problem.entry_id, int) else None
            return LedgerVerifyResult(False, total, clinic, problem.sequence, entry_id, problem.why)
    return LedgerVerifyResult(True, total)
