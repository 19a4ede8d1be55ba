"""Project-wide test fixtures: personas in two clinics, signed in with a verified second factor.

Personas (as healthchecks' alice/bob/charlie): a prescriber, a nurse, a front-desk user, an inventory
manager, a researcher and a clinic admin at North Clinic, and an outsider who is a prescriber at
South Clinic.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from django.test import Client

# Set by .ci/run: every test that would be skipped for want of PostgreSQL or Chromium fails instead.
REQUIRE_ALL = os.environ.get("KETACLINIC_REQUIRE_ALL_TESTS", "") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (KETACLINIC_REQUIRE_ALL_TESTS=1 turns this skip into a failure)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, settings) -> None:
    """Argon2 costs ~0.2 s a hash by design; tests that are not about hashing use a fast hasher.
    Tests marked ``real_hashing`` (and the browser suite) keep the production hasher."""
    if request.node.get_closest_marker("real_hashing") or request.node.get_closest_marker(
        "browser"
    ):
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def make_clinic(db):
    from ketaclinic.accounts.services import clinic_create

    def _make(code: str, name: str, tz: str = "America/New_York"):
        return clinic_create(by=None, code=code, name=name, time_zone=tz)

    return _make


@pytest.fixture
def clinic(make_clinic):
    return make_clinic("north", "North Clinic")


@pytest.fixture
def other_clinic(make_clinic):
    return make_clinic("south", "South Clinic", "America/Los_Angeles")


@pytest.fixture
def make_member(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.services import membership_grant, user_create

    def _make(clinic, username: str, role: Role):
        user = user_create(
            by=None,
            username=username,
            password=PASSWORD,
            first_name=username.title(),
            last_name="Tester",
        )
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return membership_grant(by=None, user=user, clinic=clinic, role=role)

    return _make


def _persona(role_name: str, username: str, clinic_fixture: str = "clinic"):
    @pytest.fixture
    def fixture(request, make_member):
        from ketaclinic.accounts.permissions import Role

        return make_member(request.getfixturevalue(clinic_fixture), username, Role(role_name))

    return fixture


prescriber = _persona("prescriber", "dana")
nurse = _persona("nurse", "sam")
front_desk = _persona("front_desk", "lee")
inventory_manager = _persona("inventory_manager", "kim")
researcher = _persona("researcher", "priya")
clinic_admin = _persona("clinic_admin", "morgan")
outsider = _persona("prescriber", "olga", "other_clinic")


def sign_in(client: Client, membership) -> Client:
    """Sign ``membership.user`` in with a verified second factor, as the real login flow leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.middleware import AUTH_TIME_KEY, CLINIC_KEY

    client.force_login(membership.user)
    device = TOTPDevice.objects.get(user=membership.user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[AUTH_TIME_KEY] = time.time()
    session[CLINIC_KEY] = membership.clinic_id
    session.save()
    return client


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    def _login(membership) -> Client:
        return sign_in(client, membership)

    return _login


@pytest.fixture
def make_patient(db):
    import datetime

    from ketaclinic.patients.services import patient_create

    counter = iter(range(1, 10_000))

    def _make(membership, **fields):
        n = next(counter)
        data = {
            "mrn": f"M{n:04d}",
            "given_name": "Alex",
            "family_name": f"Sample{n}",
            "date_of_birth": datetime.date(1980, 5, 17),
            "sex": "female",
        }
        data.update(fields)
        return patient_create(by=membership, **data)

    return _make


def totp_code(user) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.totp import current_code

    return current_code(TOTPDevice.objects.get(user=user, confirmed=True))
