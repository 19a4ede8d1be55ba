"""My account > API tokens: creating needs the step-up; the secret is shown once; revoking works
for one's own tokens only."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.totp import current_code
from ketaclinic.api.models import ApiToken
from ketaclinic.testing import PASSWORD, totp_code


def fresh_code(user) -> str:
    """A code django-otp will take: its replay guard and failure throttle forgotten first (as
    accounts/tests/conftest.py's step_up_data)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save(
        update_fields=["last_t", "throttling_failure_count", "throttling_failure_timestamp"]
    )
    return current_code(device)


URL = "/account/api-tokens/"


def _create(client, nurse, code: str, **extra: str):
    data = {"action": "create", "name": "Outcomes dashboard", "days": "30"}
    data.update(your_password=PASSWORD, your_code=code, **extra)
    return client.post(URL, data)


def test_a_token_is_created_after_the_step_up_and_shown_once(client, nurse, login) -> None:
    login(nurse)
    assert client.get("/account/me/").content.count(URL.encode()) == 1
    refused = _create(client, nurse, "000000")
    assert refused.status_code == 200
    assert b"No token was created" in refused.content
    assert not ApiToken.objects.exists()
    created = _create(client, nurse, fresh_code(nurse.user))
    token = ApiToken.objects.get()
    assert token.user_id == nurse.user_id
    assert token.membership_id == nurse.pk
    page = created.content.decode()
    secret = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(token.prefix)
    assert (
        client.get("/api/v1/patients", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert secret not in client.get(URL).content.decode()


def test_a_bad_lifetime_names_the_field(client, nurse, login) -> None:
    login(nurse)
    response = client.post(
        URL,
        {
            "action": "create",
            "name": "x",
            "days": "400",
            "your_password": PASSWORD,
            "your_code": totp_code(nurse.user),
        },
    )
    assert b"365" in response.content
    assert not ApiToken.objects.exists()


def test_one_revokes_ones_own_token_only(client, nurse, prescriber, login, bearer) -> None:
    bearer(prescriber)
    bearer(nurse)
    theirs = ApiToken.objects.get(user_id=prescriber.user_id)
    mine = ApiToken.objects.get(user_id=nurse.user_id)
    login(nurse)
    assert client.post(URL, {"action": "revoke", "token": str(theirs.pk)}).status_code == 404
    assert client.post(URL, {"action": "revoke", "token": str(mine.pk)}).status_code == 200
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.revoked_at is None
    assert mine.revoked_at is not None
