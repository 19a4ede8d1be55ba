"""CSV cells that a spreadsheet will not run as formulas (CSV injection; issue 10, finding 4).

OWASP "CSV Injection": a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab (0x09) or a carriage
return (0x0D) may be read as a formula by Excel, LibreOffice or Google Sheets. Such a text cell is
written with a leading single quote, every cell is quoted and embedded double quotes are doubled
(``csv.QUOTE_ALL``), so a separator inside a value cannot start a new cell. Real numbers (int, float,
Decimal, not bool) are written as numbers, so ``-3`` stays a number. Structured values (dict, list,
tuple) are written as JSON, never as a Python printout. Pure: standard library only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def cell(value: Any) -> str:
    """One value as CSV cell text, neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_default)
    elif isinstance(value, datetime | date | time):
        text = value.isoformat()
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def row(values: Iterable[Any]) -> list[str]:
    return [cell(v) for v in values]


class SafeWriter:
    """``csv.writer`` with every cell neutralised; ``writerow`` returns what the target returns
    (so a streaming response can yield each line)."""

    def __init__(self, target: _Writable, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(target, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(row(values))


def writer(target: _Writable, *, lineterminator: str = "\r\n") -> SafeWriter:
    return SafeWriter(target, lineterminator=lineterminator)
