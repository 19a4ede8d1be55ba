"""Project-wide test fixtures: personas in two clinics, signed in with a verified second factor.

Personas (as healthchecks' alice/bob/charlie): a prescriber, a nurse, a front-desk user, an inventory
manager, a researcher and a clinic admin at North Clinic, and an outsider who is a prescriber at
South Clinic. Their data and the makers live in ``ketaclinic/testing.py``; this file only turns them
into fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ketaclinic import testing
from ketaclinic.testing import sign_in

# Fails the run if a log line carries patient data, a password, a token or a TOTP secret.
pytest_plugins = ["tests.log_scan"]

# Set by .ci/run: every test that would be skipped for want of PostgreSQL or Chromium fails instead.
REQUIRE_ALL = os.environ.get("KETACLINIC_REQUIRE_ALL_TESTS", "") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (KETACLINIC_REQUIRE_ALL_TESTS=1 turns this skip into a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _audit_tables_flushable() -> Any:
    """SQLite's flush after a transactional test DELETEs every row; the audit tables' append-only
    triggers refuse that, so they are dropped and restored around the flush (tests only)."""
    from ketaclinic.audit.triggers import sqlite_flushable

    with sqlite_flushable():
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, settings) -> None:
    """Argon2 costs ~0.2 s a hash by design; tests that are not about hashing use a fast hasher.
    Tests marked ``real_hashing`` (and the browser suite) keep the production hasher."""
    if request.node.get_closest_marker("real_hashing") or request.node.get_closest_marker(
        "browser"
    ):
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_clinic(db):
    return testing.make_clinic


def _clinic_fixture(name: str):
    spec = testing.CLINICS[name]

    @pytest.fixture(name=name)
    def fixture(make_clinic):
        return make_clinic(spec.code, spec.name, spec.time_zone)

    return fixture


clinic = _clinic_fixture("clinic")
other_clinic = _clinic_fixture("other_clinic")


@pytest.fixture
def make_member(db):
    return testing.make_member


def _persona_fixture(persona: testing.Persona):
    @pytest.fixture(name=persona.fixture)
    def fixture(request, make_member):
        return make_member(
            request.getfixturevalue(persona.clinic_fixture), persona.username, persona.role
        )

    return fixture


prescriber = _persona_fixture(testing.PERSONAS[0])
nurse = _persona_fixture(testing.PERSONAS[1])
front_desk = _persona_fixture(testing.PERSONAS[2])
inventory_manager = _persona_fixture(testing.PERSONAS[3])
researcher = _persona_fixture(testing.PERSONAS[4])
clinic_admin = _persona_fixture(testing.PERSONAS[5])
outsider = _persona_fixture(testing.PERSONAS[6])
assert [p.fixture for p in testing.PERSONAS] == [
    "prescriber",
    "nurse",
    "front_desk",
    "inventory_manager",
    "researcher",
    "clinic_admin",
    "outsider",
]


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    def _login(membership: Any) -> Client:
        return sign_in(client, membership)

    return _login


@pytest.fixture
def make_patient(db):
    return testing.patient_maker()
