"""Token authentication: only a live token of an active user and membership is accepted, and the
membership's current role applies at every request."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.services import membership_change_role, membership_deactivate
from ketaclinic.api.models import ApiToken
from ketaclinic.api.tokens import api_token_create, api_token_revoke
from ketaclinic.audit.models import AuditEvent, EventType

URL = "/api/v1/patients"


def test_it_refuses_a_request_without_a_token(client, nurse) -> None:
    response = client.get(URL)
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


def test_it_refuses_a_wrong_token(client, nurse, bearer) -> None:
    bearer(nurse)
    for value in ("Bearer kc_not-a-real-token", "Bearer nonsense", "Basic abc"):
        assert client.get(URL, headers={"Authorization": value}).status_code == 401


def test_it_accepts_a_live_token_and_notes_its_use(client, nurse, bearer) -> None:
    headers = bearer(nurse)
    response = client.get(URL, headers=headers)
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_it_stores_only_the_hash_of_the_secret(nurse) -> None:
    new = api_token_create(by=nurse, membership=nurse, name="reporting")
    token = ApiToken.objects.get()
    assert new.secret.startswith("kc_")
    assert len(new.secret) >= 40  # 32 random bytes, URL-safe base64
    assert token.secret_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values().get().values()]
    assert new.secret not in stored
    event = AuditEvent.objects.filter(event_type=EventType.API_TOKEN_CREATED).latest("seq")
    assert event.extra["api_token_id"] == token.pk
    assert new.secret not in str(event.extra)


def test_a_revoked_token_stops_working_and_the_refusal_is_audited(client, nurse, bearer) -> None:
    headers = bearer(nurse)
    token = ApiToken.objects.get()
    api_token_revoke(by=nurse, token=token)
    assert client.get(URL, headers=headers).status_code == 401
    failed = AuditEvent.objects.get(event_type=EventType.LOGIN_FAILED)
    assert failed.extra == {"api_token_id": token.pk, "reason": "revoked"}
    assert headers["Authorization"].split()[1] not in str(failed.extra)


def test_an_expired_token_stops_working(client, nurse, bearer) -> None:
    headers = bearer(nurse, days=1)
    assert client.get(URL, headers=headers).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert client.get(URL, headers=headers).status_code == 401


def test_a_deactivated_membership_takes_effect_at_the_next_request(
    client, nurse, clinic_admin, bearer
) -> None:
    headers = bearer(nurse)
    assert client.get(URL, headers=headers).status_code == 200
    membership_deactivate(by=clinic_admin, membership=nurse, reason="Left the clinic")
    assert client.get(URL, headers=headers).status_code == 401


def test_an_inactive_user_is_refused(client, nurse, bearer) -> None:
    headers = bearer(nurse)
    nurse.user.is_active = False
    nurse.user.save(update_fields=["is_active"])
    assert client.get(URL, headers=headers).status_code == 401


def test_a_role_change_takes_effect_at_the_next_request(
    client, nurse, clinic_admin, bearer
) -> None:
    headers = bearer(nurse)
    assert client.get(URL, headers=headers).status_code == 200
    membership_change_role(
        by=clinic_admin, membership=nurse, role=Role.RESEARCHER, reason="Moved to research"
    )
    response = client.get(URL, headers=headers)
    assert response.status_code == 403
    assert response.json()["message"]


def test_a_token_is_only_ever_for_ones_own_membership(nurse, prescriber) -> None:
    with pytest.raises(PermissionDenied):
        api_token_create(by=prescriber, membership=nurse, name="not mine")
    token = api_token_create(by=nurse, membership=nurse, name="mine").token
    with pytest.raises(PermissionDenied):
        api_token_revoke(by=prescriber, token=token)
    assert ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize(
    ("name", "days", "field"), [("", 30, "name"), ("x", 0, "days"), ("x", 366, "days")]
)
def test_it_names_the_field_of_a_bad_token_request(nurse, name, days, field) -> None:
    with pytest.raises(ValidationError) as caught:
        api_token_create(by=nurse, membership=nurse, name=name, days=days)
    assert field in caught.value.message_dict
    assert not ApiToken.objects.exists()


def test_the_command_prints_a_working_secret_once(client, nurse, capsys) -> None:
    nurse.user.email = "sam@north.example"
    nurse.user.save(update_fields=["email"])
    call_command("api", "token", "create", "--user", "sam@north.example", "--clinic", "north")
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert client.get(URL, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    call_command("api", "token", "list", "--user", "sam")
    listed = capsys.readouterr().out
    assert secret not in listed
    assert secret[:8] in listed
