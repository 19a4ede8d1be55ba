"""What both imports share: reading the CSV with row numbers, reporting problems by row and column,
the rejects file, progress, and the batch record that lets an interrupted import resume."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.lib import csvsafe
from ketaclinic.research.models import ImportBatch

# Rows written per transaction (one audit event each). Larger chunks mean fewer commits (each one
# an fsync with SQLite's synchronous=FULL); 2,000 keeps a chunk's audit event and its memory small.
CHUNK = 2000
# The column a rejects file adds; a corrected rejects file can be imported as it is (the column
# is ignored, and the leading quote that neutralised a formula-like cell is removed again).
ERROR_COLUMN = "error"
WHOLE_ROW = "(whole row)"


class ImportFileError(Exception):
    """The file cannot be read as the expected CSV (missing columns, not UTF-8, ...)."""


class ImportInterruptedError(Exception):
    """Raised by a test's ``after_chunk`` hook to stop an import between two committed chunks."""


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line of the file (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportResult:
    imported: int = 0
    already_imported: int = 0  # written by an interrupted run of the same file, not again
    already_there: int = 0  # already in the clinic (the same patient, the same response)
    problems: list[RowProblem] = field(default_factory=list)
    rejects_file: Path | None = None
    resumed_from: datetime | None = None  # the start of the interrupted run this one completed

    @property
    def skipped(self) -> int:
        return self.already_imported + self.already_there

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})


class Progress(Protocol):
    def start(self, phase: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


AfterChunk = Callable[[int], object]  # called with the last file row of each committed chunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None
    return digest.hexdigest()


def _unneutralise(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(csvsafe.FORMULA_PREFIXES):
        return value[1:]
    return value


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (), prefix: str = ""
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and (row number, row) pairs, values stripped. Unknown columns are refused, so
    a misspelt optional column is not silently ignored. A row with more cells than the header has
    the key ``WHOLE_ROW`` (a problem for the caller to report)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None
    missing = [c for c in required if c not in header]
    expected = ", ".join(required) + (f" and optionally {', '.join(optional)}" if optional else "")
    if missing:
        handle.close()
        raise ImportFileError(
            f"{path.name}: missing column(s) {', '.join(missing)}; expected {expected}"
        )
    known = {*required, *optional, ERROR_COLUMN}
    unknown = [c for c in header if c not in known and not (prefix and c.startswith(prefix))]
    twice = sorted({c for c in header if header.count(c) > 1})
    if unknown or twice:
        handle.close()
        problem = f"unknown column(s) {', '.join(unknown)}" if unknown else ""
        problem += ("; " if problem else "") + (
            f"column(s) twice: {', '.join(twice)}" if twice else ""
        )
        raise ImportFileError(f"{path.name}: {problem}; expected {expected}")
    rejects_file = ERROR_COLUMN in header
    width = len(header)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with handle:
            try:
                for values in reader:
                    if not values:
                        continue  # a blank line
                    cells = [v.strip() for v in values]
                    if rejects_file:
                        cells = [_unneutralise(v) for v in cells]
                    row = dict(zip(header, cells, strict=False))
                    if len(cells) > width:
                        row[WHOLE_ROW] = f"{len(cells)} cells, but the header has {width} columns"
                    yield reader.line_num, row
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
            except csv.Error as exc:
                raise ImportFileError(f"{path.name}, row {reader.line_num}: {exc}") from None

    return header, rows()


def write_rejects(
    path: Path,
    header: list[str],
    rejects: list[tuple[int, dict[str, str]]],
    problems: list[RowProblem],
) -> None:
    """The rejected rows with their original columns and an ``error`` column ("row 3: sex: ...")."""
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(f"{problem.column}: {problem.message}")
    columns = [c for c in header if c != ERROR_COLUMN]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csvsafe.writer(handle, lineterminator="\n")
        writer.writerow([*columns, ERROR_COLUMN])
        for number, row in rejects:
            errors = f"row {number}: " + "; ".join(by_row.get(number, ["rejected"]))
            writer.writerow([*(row.get(c, "") for c in columns), errors])


def resume_point(*, by: Membership, kind: str, sha256: str) -> tuple[int, datetime | None]:
    """(last row written, start) of this file's unfinished import in the clinic, else (0, None)."""
    found = (
        ImportBatch.objects.filter(
            clinic_id=by.clinic_id, kind=kind, file_sha256=sha256, finished_at__isnull=True
        )
        .order_by("-started_at")
        .values_list("last_row", "started_at")
        .first()
    )
    return found if found is not None else (0, None)


def keep_rejects(
    result: ImportResult,
    *,
    path: Path,
    rejects: Path | None,
    header: list[str],
    rejected: list[tuple[int, dict[str, str]]],
) -> None:
    if rejected:
        result.rejects_file = rejects or path.with_name(path.stem + ".rejects.csv")
        write_rejects(result.rejects_file, header, rejected, result.problems)


def lock_clinic_imports(clinic_id: int) -> None:
    """Inside a chunk's transaction: one chunk of one clinic at a time (the clinic's row locked on
    PostgreSQL; SQLite's immediate transactions already write one at a time), so two imports of
    the same file run at once cannot both find a row new and both write it."""
    Clinic.objects.select_for_update().filter(pk=clinic_id).values_list("pk").first()


def open_batch(*, by: Membership, kind: str, sha256: str) -> tuple[ImportBatch, bool]:
    """The batch of this file: an unfinished one of the same file in this clinic is resumed
    (``True``), else a new one starts."""
    unfinished = (
        ImportBatch.objects.filter(
            clinic_id=by.clinic_id, kind=kind, file_sha256=sha256, finished_at__isnull=True
        )
        .order_by("-started_at")
        .first()
    )
    if unfinished is not None:
        return unfinished, True
    batch = ImportBatch.objects.create(
        clinic_id=by.clinic_id,
        kind=kind,
        imported_by_id=by.user_id,
        started_at=timezone.now(),
        file_sha256=sha256,
    )
    return batch, False


def finish_batch(batch: ImportBatch, *, skipped: int, rejected: int) -> None:
    batch.rows_skipped = skipped
    batch.rows_rejected = rejected
    batch.finished_at = timezone.now()
    batch.save(update_fields=["rows_skipped", "rows_rejected", "finished_at"])
