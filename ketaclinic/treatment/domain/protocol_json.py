"""A protocol version as a JSON-compatible dict and back. Strict: unknown keys, missing keys and
values of the wrong type are refused with an error naming the field (``schedule[1].frequency.
sessions``) and what it accepts. Decimals are strings so that no binary float touches a dose.
Pure module: no Django import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any

from ketaclinic.treatment.domain.protocol import (
    Protocol,
    format_values,
)


class ProtocolParseError(ValueError):
    """A stored or submitted protocol dict that does not describe a protocol."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def protocol_to_dict(p: Protocol) -> dict[str, Any]:
    """A JSON-compatible dict (Decimals as strings, enums as their values)."""
    result = _dump(p)
    assert isinstance(result, dict)  # noqa: S101 - a dataclass always dumps to a dict
    return result


def protocol_from_dict(data: object) -> Protocol:
    """Parse a dict made by :func:`protocol_to_dict`; raises :class:`ProtocolParseError`."""
    result: Protocol = _load(Protocol, data, "")
    return result


#: Fields added after protocols were first stored (issue 16: sprays, ascending doses). Left out
#: of the dict while they hold their default, so that a protocol which does not use them dumps
#: exactly as before and an unchanged protocol is never taken for a new version.
_OMITTED_AT_DEFAULT = frozenset(
    {
        ("DeviceRule", "unit"),
        ("DeviceRule", "concentration_mg_per_ml"),
        ("Phase", "dose_steps"),
        ("Phase", "dose_from_steps_of"),
        ("Protocol", "follow_up_ratings"),
    }
)


def _dump(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        return {
            f.name: _dump(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if (name, f.name) not in _OMITTED_AT_DEFAULT or getattr(value, f.name) != f.default
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _load(tp: Any, data: object, path: str) -> Any:
    where = path or "protocol"
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if data is None else _load(args[0], data, path)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if not isinstance(data, list):
            raise ProtocolParseError(where, f"expected a list, got {type(data).__name__}")
        return tuple(_load(item_tp, v, f"{where}[{i}]") for i, v in enumerate(data))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _load_dataclass(tp, data, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        allowed = [m.value for m in tp]
        if data not in allowed:
            raise ProtocolParseError(where, f"got {data!r}; allowed: {format_values(allowed)}")
        return tp(data)
    return _load_scalar(tp, data, where)


def _load_dataclass(tp: type[Any], data: object, path: str) -> Any:
    if not isinstance(data, dict):
        raise ProtocolParseError(
            path or "protocol", f"expected an object, got {type(data).__name__}"
        )
    hints = typing.get_type_hints(tp)
    fields = {f.name: f for f in dataclasses.fields(tp)}
    unknown = sorted(str(k) for k in set(data) - set(fields))
    if unknown:
        raise ProtocolParseError(
            _join(path, unknown[0]), f"unknown field; allowed: {format_values(fields)}"
        )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _load(hints[name], data[name], _join(path, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ProtocolParseError(_join(path, name), "required field is missing")
    return tp(**kwargs)


def _load_decimal(data: object, where: str) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise ProtocolParseError(
            where, f"expected a decimal number as a string such as '0.5', got {data!r}"
        )
    try:
        number = Decimal(data)
    except InvalidOperation:
        raise ProtocolParseError(where, f"not a decimal number: {data!r}") from None
    if not number.is_finite():
        raise ProtocolParseError(where, f"must be a finite number, got {data!r}")
    return number


def _load_scalar(tp: Any, data: object, where: str) -> object:
    if tp is Decimal:
        return _load_decimal(data, where)
    if tp is dt.date:
        if isinstance(data, str):
            try:
                return dt.date.fromisoformat(data)
            except ValueError:
                pass
        raise ProtocolParseError(where, f"expected a date 'YYYY-MM-DD', got {data!r}")
    if tp is bool:
        if not isinstance(data, bool):
            raise ProtocolParseError(where, f"expected true or false, got {data!r}")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ProtocolParseError(where, f"expected a whole number, got {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise ProtocolParseError(where, f"expected text, got {data!r}")
        return data
    raise TypeError(f"{where}: unsupported type {tp!r}")  # a programming error, not bad input
