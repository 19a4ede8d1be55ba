"""One trusted-proxy setting for throttling, the audit trail and the limiters (issue 10, finding 2).

Behind the reverse proxy every request arrives from the proxy's address; the client's own address
is in the header the proxy sets. These tests run "behind a proxy" at 10.0.0.5."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.lib.clientip import parse_networks
from ketaclinic.testing import PASSWORD

LOGIN = "/account/login/"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_NETWORKS = parse_networks([PROXY])


def _via_proxy(client_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


@pytest.mark.django_db
def test_sign_in_lockout_counts_the_client_behind_the_proxy_not_the_proxy(
    behind_proxy: None, prescriber
) -> None:
    username = prescriber.user.username
    attacker = _via_proxy("198.51.100.66")
    for _ in range(5):
        attacker.post(LOGIN, {"username": username, "password": "wrong-password-123"})
    assert attacker.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 429

    # The real user, another client behind the same proxy, still signs in.
    owner = _via_proxy("198.51.100.7")
    response = owner.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(prescriber.user.pk)


@pytest.mark.django_db
def test_the_audit_trail_records_the_client_address_from_the_trusted_proxy(
    behind_proxy: None, prescriber
) -> None:
    from ketaclinic.audit.models import AuditEvent, EventType

    _via_proxy("198.51.100.7").post(
        LOGIN, {"username": prescriber.user.username, "password": PASSWORD}
    )
    event = AuditEvent.objects.filter(event_type=EventType.LOGIN).latest("id")
    assert event.ip_address == "198.51.100.7"


@pytest.mark.django_db
def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(behind_proxy: None, prescriber) -> None:
    from ketaclinic.audit.models import AuditEvent, EventType

    direct = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    direct.post(LOGIN, {"username": prescriber.user.username, "password": "wrong-password-123"})
    event = AuditEvent.objects.filter(event_type=EventType.LOGIN_FAILED).latest("id")
    assert event.ip_address == "203.0.113.9"
    # And it cannot dodge the lockout by changing the header on each try.
    for n in range(5):
        direct = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}")
        direct.post(LOGIN, {"username": prescriber.user.username, "password": "wrong-password-123"})
    locked = direct.post(LOGIN, {"username": prescriber.user.username, "password": PASSWORD})
    assert locked.status_code == 429


@pytest.mark.django_db
def test_without_the_setting_the_header_is_ignored(prescriber) -> None:
    from ketaclinic.audit.models import AuditEvent, EventType

    _via_proxy("198.51.100.7").post(
        LOGIN, {"username": prescriber.user.username, "password": PASSWORD}
    )
    event = AuditEvent.objects.filter(event_type=EventType.LOGIN).latest("id")
    assert event.ip_address == PROXY


@pytest.mark.django_db
def test_each_patient_behind_the_proxy_has_their_own_self_report_budget(
    behind_proxy: None,
) -> None:
    from ketaclinic.scales.services import PUBLIC_LIMIT_PER_IP

    url = "/scales/r/not-a-real-token/"
    greedy = _via_proxy("198.51.100.66")
    statuses = {greedy.get(url).status_code for _ in range(PUBLIC_LIMIT_PER_IP + 1)}
    assert 429 in statuses
    assert _via_proxy("198.51.100.7").get(url).status_code == 404


@pytest.mark.django_db
def test_a_refused_or_unknown_self_report_request_writes_only_its_rate_counter() -> None:
    """The per-address count is a database row shared by every server (issue 15); nothing else
    is written for a request that found no link."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaclinic.scales.services import PUBLIC_LIMIT_PER_IP

    url = "/scales/r/not-a-real-token/"
    client = Client(REMOTE_ADDR="198.51.100.66")
    with CaptureQueriesContext(connection) as queries:
        statuses = [client.get(url).status_code for _ in range(PUBLIC_LIMIT_PER_IP + 3)]
    assert statuses[-1] == 429 and statuses[0] == 404
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert len(writes) == len(statuses)
    assert all("INSERT INTO ops_windowcount" in sql.replace('"', "") for sql in writes)
