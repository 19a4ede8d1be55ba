"""The export's CSV writer writes exactly what ``csvsafe.writer`` writes (formula cells
neutralised, every cell quoted), and Parquet keeps every value of every kind."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ketaclinic.lib import csvsafe
from ketaclinic.research.export.tables import Column, Row, Table
from ketaclinic.research.export.writers import write_csv, write_parquet

VALUES: list[Any] = [
    None, 0, -3, 7, True, False, 1.5, -0.25, Decimal("56.00"), Decimal("-1.5"), "",
    "plain", "=SUM(A1)", "+1", "-x", "@cmd", "\tTab", "\rCR", 'say "hi", ok', "line\nbreak",
    {"b": 1, "a": [2]}, [1, None], dt.date(2026, 3, 4), "KC-ABCDEFGHJK",
]  # fmt: skip


def _table(width: int, rows: list[Row], kind: str = "string") -> Table:
    def produce(_ctx: Any) -> Iterator[Row]:
        yield from rows

    columns = tuple(Column(f"c{i}", kind, "") for i in range(width))
    return Table("t", "", columns, produce)


def test_csv_cells_are_written_as_the_csv_safe_writer_writes_them(tmp_path: Path) -> None:
    rows = [VALUES[i:] + VALUES[:i] for i in range(len(VALUES))] * 700  # several batches
    table = _table(len(VALUES), rows)
    ticks: list[int] = []
    count = write_csv(table, iter(rows), tmp_path / "t.csv", ticks.append)
    expected = io.StringIO()
    writer = csvsafe.writer(expected, lineterminator="\n")
    writer.writerow(table.header)
    for row in rows:
        writer.writerow(row)
    assert (tmp_path / "t.csv").read_bytes().decode("utf-8") == expected.getvalue()
    assert count == sum(ticks) == len(rows)
    assert "'=SUM(A1)" in expected.getvalue()


def test_parquet_keeps_each_kind_of_value(tmp_path: Path) -> None:
    rows: list[Row] = [
        ["a", 1, "56.5", True],
        [None, None, None, None],
        ["-b", -2, Decimal("1"), False],
    ]
    table = Table(
        "t",
        "",
        (
            Column("s", "string", ""),
            Column("i", "integer", ""),
            Column("d", "decimal", ""),
            Column("b", "boolean", ""),
        ),
        lambda _ctx: iter(rows),
    )
    assert write_parquet(table, iter(rows), tmp_path / "t.parquet") == 3
    assert pq.read_table(tmp_path / "t.parquet").to_pylist() == [
        {"s": "a", "i": 1, "d": 56.5, "b": True},
        {"s": None, "i": None, "d": None, "b": None},
        {"s": "-b", "i": -2, "d": 1.0, "b": False},
    ]
