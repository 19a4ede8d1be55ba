"""Walk each clinic's ledger chain and report the first entry that does not fit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Field, ForeignKey

from ketaclinic.inventory.domain.chain import GENESIS, text_field, walk_chain
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


def _sqlite_decimal(value: object) -> object:
    return "" if value is None else f"{value:.3f}"


def _sqlite_datetime(value: object) -> object:
    """Django stores an instant on SQLite as naive UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    (selected with CAST AS TEXT, so that sqlite3's converter does not parse it first)."""
    if not isinstance(value, str):
        return "" if value is None else value
    return f"{value[:10]}T{value[11:19]}{value[19:] or '.000000'}+00:00"


def _sqlite_uuid(value: object) -> object:
    if not isinstance(value, str) or len(value) != 32:
        return "" if value is None else value
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _sqlite_int(value: object) -> object:
    return "" if value is None else str(value)


def _sqlite_text(value: object) -> object:
    return text_field(value) if isinstance(value, str) else ("" if value is None else value)


_SQLITE = {
    "DecimalField": _sqlite_decimal,
    "DateTimeField": _sqlite_datetime,
    "UUIDField": _sqlite_uuid,
    "BigAutoField": _sqlite_int,
    "AutoField": _sqlite_int,
    "BigIntegerField": _sqlite_int,
    "IntegerField": _sqlite_int,
    "PositiveIntegerField": _sqlite_int,
}


def _columns() -> list[tuple[str, Callable[[object], object] | None]]:
    """Per hashed field: the SELECT expression and what turns the raw value into the text the hash
    was computed on. PostgreSQL's driver returns Decimal, aware datetime and UUID, which
    ``chain._text`` formats; SQLite returns numbers and text, formatted here to the same text.
    Reading raw rows skips the ORM's per-value converters, most of the cost of a long chain."""
    sqlite = connection.vendor == "sqlite"
    found: list[tuple[str, Callable[[object], object] | None]] = []
    for name in HASHED_FIELDS:
        field = LedgerEntry._meta.get_field(name.removesuffix("_id"))
        assert isinstance(field, Field)  # noqa: S101 - the hashed names are concrete fields
        target = field.target_field if isinstance(field, ForeignKey) else field
        kind = target.get_internal_type()
        column = connection.ops.quote_name(str(field.column))
        if sqlite and kind == "DateTimeField":
            column = f"CAST({column} AS TEXT)"
        found.append((column, _SQLITE.get(kind, _sqlite_text) if sqlite else None))
    return found


def _rows(
    clinic_id: int, chunk_size: int
) -> Iterator[tuple[object, int, str, str, Sequence[object]]]:
    n = len(HASHED_FIELDS)
    columns = _columns()
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    select = ", ".join([c for c, _ in columns] + ["id", "prev_hash", "hash"])
    sql = f"SELECT {select} FROM {table} WHERE clinic_id = %s ORDER BY sequence"  # noqa: S608 - model names only
    convert = [(i, f) for i, (_, f) in enumerate(columns) if f is not None]
    seq = HASHED_FIELDS.index("sequence")
    with connection.cursor() as cursor:
        cursor.execute(sql, [clinic_id])
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                fields = list(row[:n])
                for i, f in convert:
                    fields[i] = f(fields[i])
                yield row[n], int(row[seq]), row[n + 1], row[n + 2], fields


def ledger_verify(*, clinic_id: int | None = None, chunk_size: int = 10_000) -> LedgerVerifyResult:
    """Every clinic's chain (or one): sequences without gaps, each entry linked to the one before
    it, each hash matching the entry's content, and the chain ending at the clinic's head."""
    heads = {h.clinic_id: h for h in LedgerHead.objects.all()}
    in_ledger = LedgerEntry.objects.order_by().values_list("clinic_id", flat=True).distinct()
    clinics = set(heads) | set(in_ledger)
    if clinic_id is not None:
        clinics &= {clinic_id}
    total = 0
    for clinic in sorted(clinics):
        head = heads.get(clinic)
        count, problem = walk_chain(
            _rows(clinic, chunk_size),
            head_sequence=head.last_sequence if head else 0,
            head_hash=head.last_hash if head else GENESIS,
            formatted=connection.vendor == "sqlite",
        )
        total += count
        if problem is not None:
            entry_id = problem.entry_id if isinstance(problem.entry_id, int) else None
            return LedgerVerifyResult(False, total, clinic, problem.sequence, entry_id, problem.why)
    return LedgerVerifyResult(True, total)
