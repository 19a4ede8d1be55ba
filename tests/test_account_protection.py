"""Account protection (issue 10, findings 6 and 7): step-up failures count against who typed
them; clinic switch bounds; session rotation at the second factor; the current-password check
throttled and audited; weak-pattern passwords; idle renewal at the shortest limit; and the
per-username sign-in lock across addresses that a clinic admin lifts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.accounts.models import User
from ketaclinic.accounts.services import reauthenticate
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.testing import PASSWORD, totp_code

LOGIN = "/account/login/"
VERIFY = "/account/login/verify/"
WRONG = "wrong-password-123"


# --------------------------------------------------------------------------------------------------
# Finding 6: failing as someone else does not lock that person's signing.


@pytest.mark.django_db
def test_failed_witness_checks_naming_a_prescriber_pause_the_typist_not_the_prescriber(
    prescriber, nurse, login
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert not reauthenticate(
            membership=prescriber, password=WRONG, token="000000", typed_by=nurse
        )
    # The prescriber signs their own record at once.
    code = totp_code(prescriber.user)
    assert reauthenticate(membership=prescriber, password=PASSWORD, token=code)
    # The nurse who typed the failures is paused, even with right details of her own.
    assert not reauthenticate(membership=nurse, password=PASSWORD, token=totp_code(nurse.user))
    failures = AuditEvent.objects.filter(event_type=EventType.REAUTH_FAILED)
    assert set(failures.values_list("actor_id", flat=True)) == {nurse.user_id}
    named = failures.filter(extra__named_user_id=prescriber.user_id)
    assert named.count() == settings.AXES_FAILURE_LIMIT

    # The prescriber is told, on their home page, that someone failed as them.
    home = login(prescriber).get(reverse("home")).content.decode()
    assert "Checks failed in your name" in home
    assert nurse.user.username in home
    assert "Checks failed in your name" not in login(nurse).get(reverse("home")).content.decode()


# --------------------------------------------------------------------------------------------------
# Finding 7.


@pytest.mark.django_db
@pytest.mark.parametrize("clinic_id", ["99999999999999999999999", "-1", "0", "9223372036854775808"])
def test_switching_to_an_impossible_clinic_id_is_refused_not_an_error(
    clinic_id: str, prescriber, login
) -> None:
    response = login(prescriber).post(reverse("accounts:switch_clinic"), {"clinic_id": clinic_id})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_the_session_key_changes_when_the_second_factor_completes(prescriber) -> None:
    client = Client()
    client.post(LOGIN, {"username": prescriber.user.username, "password": PASSWORD})
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(VERIFY, {"token": totp_code(prescriber.user)})
    assert response.status_code == 302
    after_code = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_code != after_password
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_current_password_check_is_audited_and_paused_after_five_failures(nurse, login) -> None:
    client = login(nurse)
    url = reverse("accounts:password_change")
    new = "a-fresh-and-long-passphrase-77"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        data = {"current_password": WRONG, "new_password1": new, "new_password2": new}
        response = client.post(url, data)
        assert "That is not your current password." in response.content.decode()
    failed = AuditEvent.objects.filter(
        event_type=EventType.PASSWORD_CHECK_FAILED, actor_id=nurse.user_id
    )
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    data = {"current_password": PASSWORD, "new_password1": new, "new_password2": new}
    response = client.post(url, data)
    assert "paused" in response.content.decode()
    nurse.user.refresh_from_db()
    assert nurse.user.check_password(PASSWORD)  # unchanged


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "abcabcabcabcabc",
        "1212121212121212",
        "{username}{username}",
        "{username}-2026!x",
    ],
)
def test_weak_pattern_passwords_are_refused(password: str) -> None:
    user = User(username="marguerite", first_name="Marguerite", last_name="Oduya")
    with pytest.raises(ValidationError):
        validate_password(password.format(username=user.username), user)


@given(
    unit=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!-", min_size=1, max_size=5),
    times=st.integers(min_value=3, max_value=12),
)
def test_any_short_unit_repeated_to_length_is_refused(unit: str, times: int) -> None:
    from ketaclinic.accounts.validators import LowVarietyPasswordValidator

    with pytest.raises(ValidationError):
        LowVarietyPasswordValidator().validate(unit * max(times, 12 // len(unit) + 1))


@pytest.mark.django_db
def test_a_long_varied_password_still_passes(nurse) -> None:
    validate_password("correct-horse-battery-staple-42", nurse.user)


@pytest.mark.django_db
def test_at_the_shortest_idle_limit_an_active_user_stays_signed_in(
    settings: Any, prescriber, login
) -> None:
    settings.SESSION_COOKIE_AGE = 60  # KETACLINIC_SESSION_IDLE_SECONDS' minimum
    start = datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as frozen:
        client = login(prescriber)
        for step in range(10):  # a request every 40 s, well inside the 60 s limit
            frozen.shift(40)
            response = client.get(reverse("patients:list"))
            assert response.status_code == 200, f"signed out after {(step + 1) * 40} s"
        frozen.shift(61)  # and idle past the limit still ends it
        assert client.get(reverse("patients:list")).status_code == 302


# --------------------------------------------------------------------------------------------------
# The per-username lock across addresses, lifted by a clinic admin.


def _fail_from(address: str, username: str) -> None:
    Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": WRONG})


@pytest.mark.django_db
def test_failures_from_many_addresses_lock_the_username_until_an_admin_lifts_it(
    settings: Any, prescriber, clinic_admin, login
) -> None:
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 8
    username = prescriber.user.username
    for n in range(8):  # 8 addresses, 1 failure each: under the per-address limit of 5
        _fail_from(f"198.51.100.{n}", username)
    assert AuditEvent.objects.filter(event_type=EventType.USERNAME_LOCKED).count() == 1

    fresh = Client(REMOTE_ADDR="203.0.113.50")
    response = fresh.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in fresh.session

    # Another username is not affected.
    other = Client(REMOTE_ADDR="203.0.113.50")
    response = other.post(LOGIN, {"username": clinic_admin.user.username, "password": PASSWORD})
    assert response.status_code == 302

    admin = login(clinic_admin)
    detail = admin.get(reverse("accounts:staff_detail", args=[prescriber.pk])).content.decode()
    assert "Locked until" in detail
    response = admin.post(
        reverse("accounts:staff_unlock", args=[prescriber.pk]),
        {
            "reason": "Verified by phone",
            "your_password": PASSWORD,
            "your_code": totp_code(clinic_admin.user),
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(event_type=EventType.USERNAME_UNLOCKED).count() == 1

    response = fresh.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert fresh.session["_auth_user_id"] == str(prescriber.user.pk)


@pytest.mark.django_db
def test_a_lock_on_an_unknown_username_reveals_nothing_about_accounts(settings: Any) -> None:
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 3
    for n in range(3):
        _fail_from(f"198.51.100.{n}", "nobody-here")
    response = Client().post(LOGIN, {"username": "nobody-here", "password": WRONG})
    assert "locked" in response.content.decode()  # the same answer as for a real account
    assert not User.objects.filter(username="nobody-here").exists()
