"""Security behaviour of sign-in, sessions, settings and responses (OWASP ASVS; security checks S4-S8,
S16 in ../shared/domain/regulatory.md section 7)."""

from __future__ import annotations

import datetime
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import request_started
from django.test import Client
from django.urls import reverse

from ketaclinic.accounts.models import UserSession as Session
from ketaclinic.core.logging import ScrubFilter
from ketaclinic.testing import PASSWORD, totp_code

LOGIN = "/account/login/"
VERIFY = "/account/login/verify/"
LOGOUT = "/account/logout/"


def _location(response: Any) -> str:
    return str(response.get("Location", "")).split("?")[0]


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# --------------------------------------------------------------------------------------------------
# Passwords (S6)


@pytest.mark.django_db
def test_a_password_shorter_than_12_characters_is_refused() -> None:
    from ketaclinic.accounts.services import user_create

    with pytest.raises(ValidationError) as excinfo:
        user_create(by=None, username="shorty", password="Tq7#vLp2!xZ")  # 11 characters
    assert any("at least 12 characters" in m for m in excinfo.value.messages)
    from ketaclinic.accounts.models import User

    assert not User.objects.filter(username="shorty").exists()


@pytest.mark.django_db
def test_a_common_password_is_refused_even_when_long_enough() -> None:
    from ketaclinic.accounts.services import user_create

    with pytest.raises(ValidationError) as excinfo:
        user_create(by=None, username="commoner", password="password1234")
    assert any("too common" in m for m in excinfo.value.messages)


@pytest.mark.django_db
def test_a_long_uncommon_password_is_accepted() -> None:
    from ketaclinic.accounts.services import user_create

    user = user_create(by=None, username="careful", password="Tq7#vLp2!xZr-meadow")
    assert user.check_password("Tq7#vLp2!xZr-meadow")


@pytest.mark.real_hashing
@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2id() -> None:
    from ketaclinic.accounts.services import user_create

    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    user = user_create(by=None, username="hashed", password="Tq7#vLp2!xZr-meadow")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Tq7#vLp2!xZr-meadow")


# --------------------------------------------------------------------------------------------------
# Login throttling (S7)


@pytest.mark.django_db
def test_five_failed_sign_ins_lock_that_username_from_that_address(prescriber, nurse) -> None:
    from ketaclinic.audit.models import AuditEvent, EventType

    client = Client()
    username = prescriber.user.username
    for attempt in range(1, 6):
        response = client.post(LOGIN, {"username": username, "password": "wrong-password-123"})
        if attempt < 5:
            assert response.status_code == 200, attempt  # the form again, with an error
            assert "_auth_user_id" not in client.session
    response = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(event_type=EventType.LOGIN_FAILED, actor_username=username)
    assert failed.count() >= 5

    # Another username from the same address is not locked out by someone else's failures.
    other = Client()
    response = other.post(LOGIN, {"username": nurse.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(nurse.user.pk)


# --------------------------------------------------------------------------------------------------
# Two-step sign-in with a real TOTP code (S5)


def _wrong_code(user: Any) -> str:
    """A 6-digit code that is not valid now nor in the tolerated neighbouring time steps."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.totp import current_code

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    now = datetime.datetime.now(tz=datetime.UTC).timestamp()
    valid = {current_code(device, now + k * device.step) for k in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


@pytest.mark.django_db
def test_sign_in_takes_the_password_then_a_totp_code(prescriber) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": prescriber.user.username, "password": PASSWORD})
    assert response.status_code == 302
    # Password alone reaches nothing but the second step.
    response = client.get(reverse("patients:list"))
    assert _location(response) == VERIFY
    assert client.get(VERIFY).status_code == 200

    response = client.post(VERIFY, {"token": totp_code(prescriber.user)})
    assert response.status_code == 302
    assert _location(response) == reverse("home")
    assert client.get(reverse("patients:list")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_totp_code_is_refused_and_audited(prescriber) -> None:
    from ketaclinic.audit.models import AuditEvent, EventType

    user = prescriber.user
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC), tick=False) as traveller:
        client = Client()
        client.post(LOGIN, {"username": user.username, "password": PASSWORD})
        response = client.post(VERIFY, {"token": _wrong_code(user)})
        assert response.status_code == 200
        assert "That code is not valid" in response.content.decode()
        assert _location(client.get(reverse("home"))) == VERIFY
        failed = AuditEvent.objects.filter(event_type=EventType.TOTP_FAILED, actor_id=user.pk)
        assert failed.count() == 1

        # After django-otp's back-off (1 s after one failure) the right code gets in.
        traveller.shift(2)
        response = client.post(VERIFY, {"token": totp_code(user)})
        assert _location(response) == reverse("home")
        assert client.get(reverse("home")).status_code == 200


# --------------------------------------------------------------------------------------------------
# Session lifetime (S4): 15 minutes idle, 12 hours absolute, server-side rows


@pytest.fixture
def frozen() -> Iterator[Any]:
    start = datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_session_idle_for_15_minutes_and_a_second_is_ended(frozen, prescriber, login) -> None:
    client = login(prescriber)
    assert client.get(reverse("patients:list")).status_code == 200
    key = _session_key(client)
    assert Session.objects.filter(session_key=key).exists()

    frozen.shift(15 * 60 + 1)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert _location(response) == reverse("accounts:login")
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_activity_within_15_minutes_keeps_the_session_alive(frozen, prescriber, login) -> None:
    client = login(prescriber)
    key = _session_key(client)
    for _ in range(4):  # 56 minutes in all, never more than 14 idle
        frozen.shift(14 * 60)
        assert client.get(reverse("patients:list")).status_code == 200
    assert _session_key(client) == key
    assert Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_a_session_ends_after_12_hours_even_with_activity(frozen, prescriber, login) -> None:
    client = login(prescriber)
    key = _session_key(client)
    for step in range(72):  # a request every 10 minutes up to exactly 12 hours
        frozen.shift(10 * 60)
        assert client.get(reverse("home")).status_code == 200, f"after {(step + 1) * 10} min"
    frozen.shift(10 * 60)
    response = client.get(reverse("home"))
    assert _location(response) == reverse("accounts:login")
    assert not Session.objects.filter(session_key=key).exists()
    assert "Your session has ended" in client.get(LOGIN).content.decode()
    assert _location(client.get(reverse("patients:list"))) == reverse("accounts:login")


# --------------------------------------------------------------------------------------------------
# Logout and session rotation (ASVS 3.2.1, 3.3.1)


@pytest.mark.django_db
def test_logout_is_post_only_and_deletes_the_server_side_session(prescriber, login) -> None:
    client = login(prescriber)
    key = _session_key(client)

    assert client.get(LOGOUT).status_code == 405
    assert Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("home")).status_code == 200  # a GET did not sign out

    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert _location(response) == reverse("accounts:login")
    assert not Session.objects.filter(session_key=key).exists()
    assert _location(client.get(reverse("home"))) == reverse("accounts:login")


@pytest.mark.django_db
def test_signing_in_rotates_the_session_key(prescriber) -> None:
    client = Client()
    session = client.session
    session["before_sign_in"] = True
    session.save()
    before = session.session_key
    assert before and _session_key(client) == before

    response = client.post(LOGIN, {"username": prescriber.user.username, "password": PASSWORD})
    assert response.status_code == 302
    after = _session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


# --------------------------------------------------------------------------------------------------
# Production settings (S8) and strict environment parsing


def _ketaclinic(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "ketaclinic"
    assert command.exists(), f"{command} is missing: install the package (./scripts/setup)"
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KETACLINIC_") and k != "DATABASE_URL"
    }
    clean["KETACLINIC_VAR_DIR"] = str(tmp_path)
    clean.update(env)
    return subprocess.run(  # noqa: S603  (our own console command, fixed arguments)
        [str(command), *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


PRODUCTION = {
    "KETACLINIC_DEPLOY": "true",
    "KETACLINIC_SECRET_KEY": "k3y-" + "x7Qp9zLm2vRt8wYc4bNf6hJd1sGa5eUo0iKl3" * 2,
    "KETACLINIC_ALLOWED_HOSTS": "clinic.example.org",
    "KETACLINIC_AUDIT_SEAL_KEYS": "k1:" + "s3aL" * 10,  # audit head seals (issue 10)
}


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    assert len(PRODUCTION["KETACLINIC_SECRET_KEY"]) >= 50
    result = _ketaclinic(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_insecure_cookies(tmp_path: Path) -> None:
    """The check above is not vacuous: turning HTTPS off under DEPLOY makes it fail."""
    env = {**PRODUCTION, "KETACLINIC_HTTPS": "false"}
    result = _ketaclinic(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


def test_deploy_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "KETACLINIC_SECRET_KEY"}
    result = _ketaclinic(tmp_path, "check", **env)
    assert result.returncode != 0
    assert "KETACLINIC_SECRET_KEY" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no silent fallback to a generated key


def test_a_malformed_boolean_setting_fails_naming_the_variable_and_allowed_values(
    tmp_path: Path,
) -> None:
    result = _ketaclinic(tmp_path, "check", KETACLINIC_DEBUG="maybe")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "KETACLINIC_DEBUG" in message
    assert "maybe" in message
    for allowed in ("true", "false", "1", "0"):
        assert allowed in message


# --------------------------------------------------------------------------------------------------
# No patient data in logs (S16)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured (scrubbing) log handlers write, at DEBUG level for the test's duration."""
    root = logging.getLogger()
    handlers = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, ScrubFilter) for f in h.filters)
    ]
    assert handlers, "LOGGING configures no handler with ketaclinic.core.logging.ScrubFilter"
    buffer = io.StringIO()
    saved = [(h, h.setStream(buffer)) for h in handlers]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(old_level)
        for handler, stream in saved:
            handler.setStream(stream)


@pytest.mark.django_db
def test_a_patient_search_query_never_reaches_the_log(
    log_output, prescriber, login, make_patient
) -> None:
    make_patient(prescriber, given_name="Zebulon", family_name="Quartermaine")
    access = logging.getLogger("ketaclinic.access")

    def access_line(sender: Any, environ: dict[str, str], **kwargs: Any) -> None:
        # What an access log (waitress, a proxy integration) writes for each request.
        access.info(
            '"%s %s?%s" start',
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            environ["QUERY_STRING"],
        )

    request_started.connect(access_line)
    try:
        client = login(prescriber)
        response = client.get(reverse("patients:list"), {"q": "Quartermaine 1980-05-17"})
    finally:
        request_started.disconnect(access_line)
    assert response.status_code == 200
    assert "Quartermaine" in response.content.decode()  # the search really ran

    logged = log_output.getvalue()
    assert '"GET /patients/?[scrubbed]" start' in logged  # the line was written, query cut
    assert "Quartermaine" not in logged
    assert "1980-05-17" not in logged


# --------------------------------------------------------------------------------------------------
# Response headers


@pytest.mark.django_db
def test_responses_carry_a_strict_content_security_policy_and_deny_framing(
    prescriber, login
) -> None:
    anonymous = Client().get(LOGIN)
    signed_in = login(prescriber).get(reverse("patients:list"))
    for response in (anonymous, signed_in):
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
