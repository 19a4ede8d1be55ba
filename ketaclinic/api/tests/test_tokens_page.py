"""My account > API tokens: creating needs the step-up; the secret is shown once; revoking works
for one's own tokens only."""

from __future__ import annotations

from ketaclinic.api.models import ApiToken
from ketaclinic.testing import PASSWORD, totp_code

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
    created = _create(client, nurse, totp_code(nurse.user))
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
