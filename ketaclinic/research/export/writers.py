"""Writing a table's rows to CSV or Parquet, chunk by chunk (constant memory)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ketaclinic.lib import csvsafe
from ketaclinic.research.export.tables import Row, Table

BATCH = 20_000
_ARROW = {
    "string": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "boolean": pa.bool_(),
}


def write_csv(table: Table, rows: Iterator[Row], path: Path, tick: Any = None) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csvsafe.writer(handle, lineterminator="\n")
        writer.writerow(table.header)
        for row in rows:
            writer.writerow(row)
            count += 1
            if tick is not None and count % 1000 == 0:
                tick(1000)
    if tick is not None:
        tick(count % 1000)
    return count


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "decimal":
        return float(value)
    return value


def write_parquet(table: Table, rows: Iterator[Row], path: Path, tick: Any = None) -> int:
    schema = pa.schema([(c.name, _ARROW[c.kind]) for c in table.columns])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        while batch := list(islice(rows, BATCH)):
            columns = [
                [_convert(column.kind, row[i]) for row in batch]
                for i, column in enumerate(table.columns)
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            count += len(batch)
            if tick is not None:
                tick(len(batch))
    return count
