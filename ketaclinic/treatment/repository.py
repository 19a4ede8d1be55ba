"""The fixed statements of the busiest write, a reading at the chair, compiled once (issue 15).

Each reading ran the ORM's SQL compiler for the same three statements (the locked session read,
the reading's INSERT, the pre-dose readings); at 0.4-1 ms of CPU each that was a large share of a
reading's cost. Here each is compiled once per database connection (``CompiledQuery``) or
written once as an INSERT with the fields' own database preparation, and gives back the same
model instances the ORM would. The checks stay where they were: the clinic in the session's
WHERE clause (another clinic's session is not found), the role and the clinical rules in
``services.observations`` and the pure domain modules.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import models, transaction

from ketaclinic.accounts.sessions import CompiledQuery
from ketaclinic.treatment.models import Observation, ProtocolVersion, TreatmentSession

_SESSION = [f.attname for f in TreatmentSession._meta.concrete_fields]
_VERSION = [f.attname for f in ProtocolVersion._meta.concrete_fields]
_OBSERVATION = [f.attname for f in Observation._meta.concrete_fields]
_SENTINEL_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)


def _session_query(session_id: int, clinic_id: int) -> models.QuerySet[Any]:
    return (
        TreatmentSession.objects.filter(pk=session_id, clinic_id=clinic_id)
        .order_by()  # one row: no sort
        .values_list(*_SESSION, *(f"protocol_version__{f}" for f in _VERSION))
    )


def _baseline_query(session_id: int, before: dt.datetime) -> models.QuerySet[Any]:
    return (
        Observation.objects.filter(session_id=session_id, measured_at__lt=before)
        .order_by("measured_at", "id")  # the model's ordering
        .values_list(*_OBSERVATION)
    )


# Locks the session's own row only (FOR UPDATE OF), as the ORM query it replaces did.
_LOCKED_SESSION = CompiledQuery(
    _session_query, -904_217_331, -904_217_332, lock_of=TreatmentSession._meta.db_table
)
_BASELINE = CompiledQuery(_baseline_query, -904_217_333, _SENTINEL_TIME)


def session_locked(session_id: int, clinic_id: int) -> TreatmentSession | None:
    """The session with its protocol version, its row locked to the commit (PostgreSQL; SQLite
    serialises writers), or None when no session of that id is in that clinic."""
    rows = _LOCKED_SESSION.rows(session_id, clinic_id)
    if not rows:
        return None
    row = rows[0]
    session = TreatmentSession.from_db("default", _SESSION, list(row[: len(_SESSION)]))
    version = ProtocolVersion.from_db("default", _VERSION, list(row[len(_SESSION) :]))
    session._state.fields_cache["protocol_version"] = version
    return session


def baseline_observations(session: TreatmentSession) -> list[Observation]:
    """``selectors.predose.baseline_observations`` for a dosed session: its readings before
    dosing started, in the model's order."""
    assert session.dose_started_at is not None  # noqa: S101  (only called after dosing)
    return [
        Observation.from_db("default", _OBSERVATION, list(row))
        for row in _BASELINE.rows(session.pk, session.dose_started_at)
    ]


@functools.lru_cache(maxsize=4)
def _insert_sql(vendor: str) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    from django.db import connection

    qn = connection.ops.quote_name
    fields = tuple(f for f in Observation._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    table = qn(Observation._meta.db_table)
    # The model's own table and column names only; values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING {qn('id')}"  # noqa: S608
    return sql, fields


def observation_insert(obs: Observation) -> Observation:
    """INSERT ``obs`` (a new, unsaved reading) and set its id, as ``save(force_insert=True)``
    would (readings have no defaults computed on save and no signal receivers)."""
    connection = transaction.get_connection()
    sql, fields = _insert_sql(connection.vendor)
    params = [f.get_db_prep_save(getattr(obs, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obs.id = cursor.fetchone()[0]
    obs._state.adding = False
    obs._state.db = connection.alias
    return obs
