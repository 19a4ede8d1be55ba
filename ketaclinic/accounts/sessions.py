"""Database sessions: one query per request for the session, its user, their verified second
factor and their active memberships (issue 15); an expired session's row is deleted the moment
it is presented (OWASP ASVS 3.3.1-2, check S4).

The rows live in ``accounts.UserSession``, whose ``user`` and ``otp_device`` columns are written
from the session data on every save. Loading a session joins them (LEFT JOINs: a session without
a user, a removed device or no active membership still loads) and keeps the result as
``store.snapshot``; ``accounts.middleware`` builds ``request.user``, ``user.otp_device`` and
``request.memberships`` from it. Nothing is cached across requests: a deactivated user, a removed
membership, a changed role or a removed device is read from the database at the very next
request. Django's database backend refuses an expired session but leaves its row until
``clearsessions`` runs; here the row is deleted when presented, so an idle timeout ends the
server-side session as a logout does.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import FilteredRelation, Q
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership, User, UserSession

_TOTP_PREFIX = "otp_totp.totpdevice/"
_ACTIVE = "active_membership"


@dataclass
class AuthSnapshot:
    """What the session's one query read: the user the row names (None when nobody is signed
    in), the TOTP device the row names if it still exists, and the user's active memberships
    (ordered by clinic name, each with its clinic and user attached)."""

    user: User | None
    device: TOTPDevice | None
    memberships: list[Membership] = field(default_factory=list)


def _concrete(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_USER = _concrete(User)
_DEVICE = _concrete(TOTPDevice)
_MEMBERSHIP = _concrete(Membership)
_CLINIC = _concrete(Clinic)


def _columns() -> list[str]:
    return [
        "session_data",
        *(f"user__{f}" for f in _USER),
        *(f"otp_device__{f}" for f in _DEVICE),
        *(f"{_ACTIVE}__{f}" for f in _MEMBERSHIP),
        *(f"{_ACTIVE}__clinic__{f}" for f in _CLINIC),
    ]


def _instance(model: type[models.Model], names: list[str], values: tuple[Any, ...]) -> Any:
    if values[0] is None:  # the primary key: a LEFT JOIN that found nothing
        return None
    return model.from_db("default", names, list(values))


def device_id(persistent_id: object) -> int | None:
    """The TOTP device id in django-otp's persistent id (``otp_totp.totpdevice/12``), else None."""
    if not isinstance(persistent_id, str) or not persistent_id.startswith(_TOTP_PREFIX):
        return None
    number = persistent_id.removeprefix(_TOTP_PREFIX)
    return int(number) if number.isdigit() else None


def _user_id(value: object) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() else None


class CompiledQuery:
    """A fixed ``values_list`` query compiled once per database connection, then run with new
    values (issue 15: compiling the session's joined query, about 60 columns over four joins,
    cost more CPU than anything else in a request). ``build(*values)`` returns the queryset;
    it is compiled once with ``sentinels`` (distinct strings, ints or aware datetimes that
    appear nowhere else in the query), and each run puts its values where the sentinels were,
    prepared as the ORM prepared them. Rows pass through the compiler's own converters, so
    they are what ``values_list`` returns on either database."""

    def __init__(
        self, build: Callable[..., models.QuerySet[Any]], *sentinels: Any, lock_of: str = ""
    ) -> None:
        """``lock_of``: a table whose rows the query locks to the commit (``FOR UPDATE OF``,
        where the database has row locks; SQLite serialises writers instead)."""
        self._build = build
        self._sentinels = sentinels
        self._lock_of = lock_of
        self._local = threading.local()

    def _prepared(self, connection: Any, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def _compiled(self, connection: Any) -> tuple[Any, ...]:
        cached = getattr(self._local, "compiled", None)
        if cached is not None and cached[0] is connection:
            return cast(tuple[Any, ...], cached)
        compiler = self._build(*self._sentinels).query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if self._lock_of and connection.features.has_select_for_update_of:
            sql = f"{sql} FOR UPDATE OF {connection.ops.quote_name(self._lock_of)}"
        prepared = [self._prepared(connection, v) for v in self._sentinels]
        slots: list[tuple[bool, Any]] = []  # (is a value's slot, sentinel index or constant)
        for param in params:
            index = next((i for i, v in enumerate(prepared) if param == v), None)
            slots.append((True, index) if index is not None else (False, param))
        found = {index for is_slot, index in slots if is_slot}
        if found != set(range(len(prepared))):
            raise ValueError("a sentinel is missing from the compiled query")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        cached = (connection, sql, slots, compiler, converters)
        self._local.compiled = cached
        return cached

    def rows(self, *values: Any) -> list[tuple[Any, ...]]:
        connection = connections[DEFAULT_DB_ALIAS]
        _, sql, slots, compiler, converters = self._compiled(connection)
        given = [self._prepared(connection, v) for v in values]
        params = [given[x] if is_slot else x for is_slot, x in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            return [tuple(r) for r in compiler.apply_converters(rows, converters)]
        return [tuple(r) for r in rows]


def _session_query(key: str, now: dt.datetime) -> models.QuerySet[Any]:
    return (
        UserSession.objects.filter(session_key=key, expire_date__gt=now)
        .annotate(
            **{
                _ACTIVE: FilteredRelation(
                    "user__memberships", condition=Q(user__memberships__is_active=True)
                )
            }
        )
        .order_by(f"{_ACTIVE}__clinic__name", f"{_ACTIVE}__id")
        .values_list(*_columns())
    )


_SESSION_QUERY = CompiledQuery(
    _session_query,
    "\x1fketaclinic-session-key-sentinel",
    dt.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC),
)


class SessionStore(DatabaseSessionStore):
    snapshot: AuthSnapshot | None = None

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        self.snapshot = None
        now = timezone.now()
        try:
            rows = _SESSION_QUERY.rows(key, now) if key else []
        except SuspiciousOperation:
            rows = []
        if not rows:
            self._session_key = None
            if key:
                self.model.objects.filter(session_key=key, expire_date__lte=now).delete()
            return None
        self.snapshot = self._snapshot(rows)
        return UserSession(session_key=key or "", session_data=rows[0][0])

    @staticmethod
    def _snapshot(rows: list[tuple[Any, ...]]) -> AuthSnapshot:
        first = rows[0]
        at = 1
        user = _instance(User, _USER, first[at : at + len(_USER)])
        at += len(_USER)
        device = _instance(TOTPDevice, _DEVICE, first[at : at + len(_DEVICE)])
        at += len(_DEVICE)
        memberships = []
        for row in rows:
            membership = _instance(Membership, _MEMBERSHIP, row[at : at + len(_MEMBERSHIP)])
            if membership is None:
                continue
            clinic = _instance(Clinic, _CLINIC, row[at + len(_MEMBERSHIP) :])
            membership._state.fields_cache["clinic"] = clinic
            membership._state.fields_cache["user"] = user
            memberships.append(membership)
        return AuthSnapshot(user=user, device=device, memberships=memberships)

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        session = cast(UserSession, super().create_model_instance(data))  # get_model_class()
        session.user_id = _user_id(data.get(SESSION_KEY))
        session.otp_device_id = device_id(data.get(DEVICE_ID_SESSION_KEY))
        return session
