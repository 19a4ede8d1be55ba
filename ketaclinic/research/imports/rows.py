"""Plain INSERTs of one model's rows for the imports' chunks (SQLite and PostgreSQL).

``bulk_create`` passes every value of every row through its field's compiler (``as_sql``,
``prepare_value``, ``get_db_prep_save``): at 100,000 patients that was over two thirds of the
import's time, more than the database's own work. Here the statement is built once per model, each
value that needs it is adapted by its field's own ``get_db_prep_save`` (a UUID, a date, a decimal,
JSON), plain text and numbers go as they are, and the rows go in ``executemany`` (or, where the new
ids are needed, multi-row ``INSERT ... RETURNING`` in the batches Django itself would use).

Used only by the import services, inside the chunk's transaction that also writes its audit event
(conventions §4: bulk writes of audited models only in a dedicated service). Values are the
checked rows' own; a field not given takes its model default, computed once (a callable default
such as a UUID must be given per row; ``auto_now_add``/``auto_now`` fields must be given).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin

_MEMO = 10_000


def _uuid_hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("a naive date-time reached an import")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _sqlite_json(value: Any) -> str | None:
    # Django's SQLite ``adapt_json_value``: ``json.dumps(value, cls=field.encoder)``.
    return None if value is None else json.dumps(value)


_AS_IS = (
    models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.FloatField,
)  # fmt: skip


class Inserter:
    def __init__(self, model: type[models.Model], given: Sequence[str]) -> None:
        self.model = model
        self.connection = connections[router.db_for_write(model)]
        self.given = list(given)
        concrete = [f for f in model._meta.concrete_fields if not f.generated]
        by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
        self.fields = [by_name[name] for name in self.given]
        adapt: list[Callable[[Any], Any] | None] = []
        for field in self.fields:
            target = field.target_field if isinstance(field, models.ForeignKey) else field
            plain = isinstance(target, _AS_IS) and not isinstance(target, AutoFieldMixin)
            plain = plain or isinstance(target, models.AutoField | models.BigAutoField)
            adapt.append(None if plain else self._adapter(field))
        self.adapt = adapt
        rest = [f for f in concrete if f not in self.fields and not isinstance(f, AutoFieldMixin)]
        for field in rest:
            if (
                field.has_default()
                and callable(field.default)
                and field.default not in (dict, list)
            ):
                raise ValueError(f"{model.__name__}.{field.name} needs a value per row")
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                raise ValueError(f"{model.__name__}.{field.name} needs a value per row")
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), self.connection) for f in rest)
        self.columns = [f.column for f in self.fields] + [f.column for f in rest]
        quote = self.connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.column_sql = ", ".join(quote(c) for c in self.columns)
        self.pk_column = quote(model._meta.pk.column) if model._meta.pk else ""

    def _adapter(self, field: models.Field[Any, Any]) -> Callable[[Any], Any]:
        """The field's ``get_db_prep_save``; for SQLite's UUID and date-time columns the same
        result computed directly (a UUID's 32 hex digits; a UTC date-time as text, as Django's
        ``adapt_datetimefield_value`` writes it), a repeated value adapted once."""
        connection = self.connection
        sqlite = connection.vendor == "sqlite"
        if isinstance(field, models.UUIDField) and not connection.features.has_native_uuid_field:
            return _uuid_hex
        if isinstance(field, models.DateTimeField) and sqlite and settings.USE_TZ:
            return _sqlite_datetime
        if isinstance(field, models.JSONField) and sqlite and field.encoder is None:
            return _sqlite_json
        if isinstance(field, models.ForeignKey):
            return self._adapter(field.target_field)
        memo: dict[Any, Any] = {}

        def adapt(value: Any) -> Any:
            try:
                return memo[value]
            except (KeyError, TypeError):
                adapted = field.get_db_prep_save(value, connection)
            if isinstance(value, str | int | Decimal | date) and len(memo) < _MEMO:
                memo[value] = adapted
            return adapted

        return adapt

    def _values(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        adapt = self.adapt
        defaults = self.defaults
        if not any(adapt):
            return [(*row, *defaults) for row in rows]
        return [
            (*(v if a is None else a(v) for a, v in zip(adapt, row, strict=True)), *defaults)
            for row in rows
        ]

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        """INSERT the rows (each a sequence of the ``given`` fields' values, in that order)."""
        if not rows:
            return
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f"INSERT INTO {self.table} ({self.column_sql}) VALUES ({marks})"  # noqa: S608 - names from the model, values bound
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, self._values(rows))

    def insert_returning_pks(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """INSERT the rows and return their new primary keys in the rows' order (multi-row
        ``INSERT ... RETURNING``, which Django's ``bulk_create`` relies on the same way)."""
        values = self._values(rows)
        size = max(1, self.connection.ops.bulk_batch_size(self.fields, values) or len(values))
        size = min(size, max(1, 999 // len(self.columns)))
        one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
        pks: list[Any] = []
        with self.connection.cursor() as cursor:
            for start in range(0, len(values), size):
                batch = values[start : start + size]
                sql = (
                    f"INSERT INTO {self.table} ({self.column_sql}) VALUES "  # noqa: S608 - as above
                    + ", ".join([one] * len(batch))
                    + f" RETURNING {self.pk_column}"
                )
                cursor.execute(sql, [v for row in batch for v in row])
                pks.extend(r[0] for r in cursor.fetchall())
        return pks
