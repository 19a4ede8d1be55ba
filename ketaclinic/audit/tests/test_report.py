"""The security report (issue 15): the command for the network, the page for one clinic."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.report import SinceError, parse_since
from ketaclinic.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _report(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("text", ["", "24", "0h", "367d", "-1h", "1w", "24 hours"])
def test_a_period_outside_1h_to_366d_is_refused_with_the_allowed_forms(text: str) -> None:
    with pytest.raises(SinceError, match=r"24h or 7d|between 1h and 366d"):
        parse_since(text)


def test_the_command_refuses_a_bad_since_and_an_unknown_clinic() -> None:
    with pytest.raises(CommandError, match="--since"):
        _report("--since", "forever")
    with pytest.raises(CommandError, match="no such clinic"):
        _report("--clinic", "987654")


def test_failed_sign_ins_and_denials_are_reported(client, nurse, login) -> None:
    client.post(reverse("accounts:login"), {"username": "nurse", "password": "wrong"})
    login(nurse)
    assert client.get(reverse("audit:list")).status_code == 403
    text = _report("--since", "24h")
    failed = text.split("Failed sign-ins: ")[1]
    assert failed.startswith("1\n") and "user=nurse" in failed.splitlines()[1]
    denied = text.split("Denied accesses: ")[1]
    assert denied.startswith("1\n") and "page=audit:list" in denied.splitlines()[1]
    assert "password" not in text.lower().replace("password changed", "")


def test_a_403_writes_an_access_denied_event_naming_the_page(client, front_desk, login) -> None:
    login(front_desk)
    assert client.get(reverse("ops:jobs")).status_code == 403
    event = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert event.actor_id == front_desk.user_id
    assert event.clinic_id == front_desk.clinic_id
    assert event.extra == {"view": "ops:jobs", "method": "GET"}


def test_the_page_shows_only_the_admins_own_clinic(client, clinic_admin, outsider, login) -> None:
    with transaction.atomic():
        audit_record(event_type=EventType.CLINIC_UPDATED, actor=outsider)
        audit_record(event_type=EventType.CLINIC_UPDATED, actor=clinic_admin)
        audit_record(event_type=EventType.LOGIN_FAILED, username=outsider.user.username)
        audit_record(event_type=EventType.LOGIN_FAILED, username=clinic_admin.user.username)
    login(clinic_admin)
    response = client.get(reverse("audit:report"))
    assert response.status_code == 200
    sections = {s.key: s for s in response.context["report"].sections}
    updates = [e for e in sections["configuration"].events if e.event_type == "clinic.updated"]
    assert [e.actor_id for e in updates] == [clinic_admin.user_id]
    assert all(e.clinic_id == clinic_admin.clinic_id for e in sections["configuration"].events)
    assert [e.actor_username for e in sections["failed_sign_ins"].events] == [
        clinic_admin.user.username
    ]
    assert outsider.user.username not in response.content.decode()


def test_the_page_refuses_a_period_it_does_not_offer(client, clinic_admin, login) -> None:
    login(clinic_admin)
    response = client.get(reverse("audit:report") + "?since=9999d")
    assert response.status_code == 400
    assert "choose 24h, 7d or 30d" in response.content.decode()


@pytest.mark.parametrize("persona", ["nurse", "front_desk", "prescriber", "researcher"])
def test_only_roles_that_read_the_audit_trail_see_the_report(
    request, client, login, persona: str
) -> None:
    login(request.getfixturevalue(persona))
    assert client.get(reverse("audit:report")).status_code == 403
