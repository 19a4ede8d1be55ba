"""A request that fails because the database can't be reached answers 503 in words, fast.

The database is made unreachable for real: the default connection is swapped for one pointing at a
PostgreSQL port nothing listens on, or at an SQLite file in a folder that does not exist; the
test database itself is left alone.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.test import Client, RequestFactory

from ketaclinic.core.db_unavailable import (
    BUSY,
    UNREACHABLE,
    DatabaseUnavailableMiddleware,
    unavailable_kind,
)

NOTHING_SAVED = "Nothing you sent was saved; try again in a minute."


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.fixture
def unreachable_database(django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    """The default alias points at a database that can't be reached, for this test only."""
    real = connections[DEFAULT_DB_ALIAS]
    settings_dict = dict(real.settings_dict)
    if real.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()), CONN_MAX_AGE=0)
    else:
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "clinic.sqlite3")
    connections[DEFAULT_DB_ALIAS] = type(real)(settings_dict, alias=DEFAULT_DB_ALIAS)
    try:
        with django_db_blocker.unblock():
            yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = real


def _signed_in_client(**defaults: Any) -> Client:
    # A session cookie makes the first middleware that needs the user read the session table.
    client = Client(raise_request_exception=False, **defaults)
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    return client


def test_a_page_while_the_database_is_unreachable_is_a_503_in_words(
    unreachable_database: None,
) -> None:
    response = _signed_in_client().get("/patients/")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "The clinic&#x27;s database can&#x27;t be reached." in page
    assert "Try again in a minute." in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


def test_a_form_sent_while_the_database_is_unreachable_says_nothing_was_saved(
    unreachable_database: None,
) -> None:
    response = _signed_in_client().post("/patients/new/", {"given_name": "Ada"})

    assert response.status_code == 503
    assert NOTHING_SAVED in response.content.decode()


def test_an_htmx_request_gets_a_short_fragment_placed_at_the_top_of_the_page(
    unreachable_database: None,
) -> None:
    response = _signed_in_client(headers={"HX-Request": "true"}).post(
        "/treatment/sessions/1/observation/", {"code": "heart_rate", "value": "72"}
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["HX-Retarget"] == "#main"
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert 'role="alert"' in fragment
    assert NOTHING_SAVED in fragment


def test_the_api_answers_a_json_problem(unreachable_database: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/patients", headers={"Authorization": "Bearer kc_abc"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["status"] == 503
    assert "can't be reached" in problem["detail"]
    assert problem["message"] == problem["detail"]


def _driver_error(vendor: str, tmp_path: Path) -> Exception:
    """A real connection failure from the driver the suite runs on."""
    if vendor == "postgresql":
        import psycopg

        try:
            psycopg.connect(host="127.0.0.1", port=_closed_port(), connect_timeout=2)
        except psycopg.OperationalError as exc:
            return exc
    else:
        try:
            sqlite3.connect(tmp_path / "no-such-folder" / "x.sqlite3")
        except sqlite3.OperationalError as exc:
            return exc
    raise AssertionError("the connection unexpectedly succeeded")


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_something_was_committed_does_not_claim_nothing_was_saved(
    tmp_path: Path,
) -> None:
    cause = _driver_error(connections[DEFAULT_DB_ALIAS].vendor, tmp_path)

    def view_that_commits_then_loses_the_database(request: HttpRequest) -> HttpResponse:
        with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("UPDATE django_migrations SET app = app WHERE id < 0")
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError:
            from django.core.signals import got_request_exception

            got_request_exception.send(sender=None, request=request)
        return HttpResponseServerError("server error")

    middleware = DatabaseUnavailableMiddleware(view_that_commits_then_loses_the_database)
    response = middleware(RequestFactory().post("/patients/new/"))

    assert response.status_code == 503
    page = response.content.decode()
    assert "may have been saved" in page
    assert "Nothing you sent was saved" not in page


@pytest.mark.django_db(transaction=True)
def test_a_write_rolled_back_before_the_failure_still_counts_as_nothing_saved(
    tmp_path: Path,
) -> None:
    cause = _driver_error(connections[DEFAULT_DB_ALIAS].vendor, tmp_path)

    def view(request: HttpRequest) -> HttpResponse:
        try:
            with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("UPDATE django_migrations SET app = app WHERE id < 0")
                raise OperationalError(str(cause)) from cause
        except OperationalError:
            from django.core.signals import got_request_exception

            got_request_exception.send(sender=None, request=request)
        return HttpResponseServerError("server error")

    response = DatabaseUnavailableMiddleware(view)(RequestFactory().post("/patients/new/"))

    assert response.status_code == 503
    assert NOTHING_SAVED in response.content.decode()


def _wrapped(cause: Exception) -> OperationalError:
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


def test_a_locked_sqlite_database_is_busy_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("INSERT INTO t VALUES (1)")
    holder.close()
    other.close()

    assert unavailable_kind(_wrapped(locked.value)) == BUSY


def test_a_read_only_sqlite_database_stays_a_server_error(tmp_path: Path) -> None:
    # A deployment error (the file's permissions or mount) that waiting won't fix: a 500 with the
    # stack trace in the log for whoever runs the server, not "try again in a minute".
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        read_only.execute("INSERT INTO t VALUES (1)")
    read_only.close()

    assert unavailable_kind(_wrapped(refused.value)) is None


def test_a_constraint_error_is_not_an_outage() -> None:
    assert unavailable_kind(IntegrityError("duplicate key")) is None


def test_an_unreachable_sqlite_file_is_unreachable(tmp_path: Path) -> None:
    assert unavailable_kind(_wrapped(_driver_error("sqlite", tmp_path))) == UNREACHABLE
