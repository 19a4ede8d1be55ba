"""What both imports share: reading the CSV with row numbers, reporting errors by row and column,
writing rejects, and the batch record."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ketaclinic.lib import csvsafe

CHUNK = 1000


class ImportFileError(Exception):
    """The file cannot be read as the expected CSV (missing columns, not UTF-8, ...)."""


@dataclass
class RowProblem:
    row: int  # the line of the file (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0  # already in the clinic (a re-run), not imported again
    problems: list[RowProblem] = field(default_factory=list)
    rejects_file: Path | None = None

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = (), prefix: str = ""
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and (row number, row) pairs, values stripped. Unknown columns are refused, so
    a misspelt optional column is not silently ignored."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        handle.close()
        raise ImportFileError(
            f"{path.name}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(required)}"
            + (f" and optionally {', '.join(optional)}" if optional else "")
        )
    unknown = [c for c in header if c not in required and c not in optional]
    if prefix:
        unknown = [c for c in unknown if not c.startswith(prefix)]
    if unknown:
        handle.close()
        raise ImportFileError(f"{path.name}: unknown column(s) {', '.join(unknown)}")
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with handle:
            try:
                for row in reader:
                    yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"{path.name}: not UTF-8 text ({exc.reason})") from None

    return header, rows()


def write_rejects(
    path: Path, header: list[str], rejects: list[tuple[int, dict[str, str]]],
    problems: list[RowProblem],
) -> None:  # fmt: skip
    by_row: dict[int, list[str]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(f"{problem.column}: {problem.message}")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csvsafe.writer(handle, lineterminator="\n")
        writer.writerow(["row", *header, "errors"])
        for number, row in rejects:
            writer.writerow([number, *(row.get(c, "") for c in header), "; ".join(by_row[number])])
