"""A PostgreSQL server that stops answering without refusing (a frozen host: its kernel still
takes the bytes) answers a 503 in words instead of holding the request forever, and the next
request after it wakes up succeeds (issue 15, core/db_unavailable.py's stall watchdog).

The freeze is real at the socket level: the default connection goes through a relay thread in this
test that can stop forwarding (it keeps the sockets open and reads nothing, as a SIGSTOPped server
does). No timing assertion: the relay stays frozen until the answer has come, so without the
watchdog the request would wait for the safety thaw (60 s) and the test fails on the relay's state.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.test import Client, RequestFactory

from ketaclinic.core.db_unavailable import DatabaseUnavailableMiddleware

SAFETY_THAW_SECONDS = 60.0


class FreezableRelay:
    """A TCP relay to ``upstream`` that can stop forwarding while keeping every socket open."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.flowing = threading.Event()
        self.flowing.set()
        self.sockets: list[socket.socket] = [self.listener]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    @property
    def frozen(self) -> bool:
        return not self.flowing.is_set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.flowing.wait()
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.thaw()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def relayed_database(transactional_db: None, django_db_blocker: Any) -> Iterator[FreezableRelay]:
    """The default alias reaches the test database through a freezable relay, with a 1 s stall
    bound and a persistent connection (the case ``connect_timeout`` does not cover)."""
    real = connections[DEFAULT_DB_ALIAS]
    if real.vendor != "postgresql":
        pytest.skip("a frozen PostgreSQL server; the suite's PostgreSQL run covers this")
    relay = FreezableRelay(
        (real.settings_dict["HOST"] or "127.0.0.1", int(real.settings_dict["PORT"] or 5432))
    )
    settings_dict = dict(real.settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(relay.port), CONN_MAX_AGE=300, STALL_SECONDS=1)
    connections[DEFAULT_DB_ALIAS] = type(real)(settings_dict, alias=DEFAULT_DB_ALIAS)
    try:
        with django_db_blocker.unblock():
            yield relay
    finally:
        relay.thaw()
        with contextlib.suppress(Exception):
            connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = real
        relay.close()


def _client() -> Client:
    # A session cookie: the first middleware that needs the user reads the session table (a
    # new client each time: the answer to an unknown session clears the cookie).
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = "b" * 32
    return client


def test_a_frozen_server_answers_503_while_frozen_and_the_next_request_after_it_succeeds(
    relayed_database: FreezableRelay,
) -> None:
    relay = relayed_database
    assert _client().get("/patients/").status_code == 302  # through the relay: to the sign-in page
    assert connections[DEFAULT_DB_ALIAS].connection is not None  # kept for the next request

    relay.freeze()
    safety = threading.Timer(SAFETY_THAW_SECONDS, relay.thaw)
    safety.start()
    try:
        response = _client().get("/patients/")
        frozen_when_answered = relay.frozen
    finally:
        safety.cancel()
        relay.thaw()
    assert frozen_when_answered, "the request waited for the server to wake up"
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "The clinic&#x27;s database can&#x27;t be reached." in response.content.decode()

    assert _client().get("/patients/").status_code == 302  # thawed: the next request succeeds


def test_a_form_cut_by_the_watchdog_after_sending_a_write_says_it_may_have_been_saved(
    relayed_database: FreezableRelay,
) -> None:
    relay = relayed_database

    def view(request: HttpRequest) -> HttpResponse:
        try:
            with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SELECT 1")  # connected and answering
                relay.freeze()
                # Sent into the frozen server: it may commit when the server wakes up.
                cursor.execute("UPDATE django_migrations SET app = app WHERE id < 0")
        except OperationalError:
            got_request_exception.send(sender=None, request=request)
        return HttpResponseServerError("server error")

    safety = threading.Timer(SAFETY_THAW_SECONDS, relay.thaw)
    safety.start()
    try:
        response = DatabaseUnavailableMiddleware(view)(RequestFactory().post("/patients/new/"))
        frozen_when_answered = relay.frozen
    finally:
        safety.cancel()
        relay.thaw()

    assert frozen_when_answered, "the request waited for the server to wake up"
    assert response.status_code == 503
    page = response.content.decode()
    assert "may have been saved" in page
    assert "Nothing you sent was saved" not in page


def test_postgresql_connections_get_keepalives_and_a_stall_bound_and_the_url_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ketaclinic.settings import _database

    monkeypatch.setenv("KETACLINIC_DB_TCP_USER_TIMEOUT_MS", "15000")
    config = _database("postgres://clinic@db.example/clinic?keepalives_idle=60")
    options = config["OPTIONS"]

    assert str(options["keepalives_idle"]) == "60"  # the URL's, over the default 30
    assert options["keepalives"] == 1
    assert (options["keepalives_interval"], options["keepalives_count"]) == (10, 3)
    assert options["tcp_user_timeout"] == 15000  # the environment's
    assert options["connect_timeout"] == 3
    assert config["STALL_SECONDS"] == 5
    sqlite = _database("sqlite:////tmp/faults-settings-test.sqlite3")
    assert "keepalives" not in sqlite["OPTIONS"]
    assert "STALL_SECONDS" not in sqlite
