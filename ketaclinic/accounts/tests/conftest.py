"""Fixtures for the account-management tests: step-up data and admins of both clinics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.totp import current_code
from ketaclinic.testing import PASSWORD


def step_up_data(membership: Any) -> dict[str, str]:
    """The admin's password and a fresh code. django-otp refuses a code twice in one 30 s step (replay
    protection), so each call forgets the last used step first."""
    device = TOTPDevice.objects.get(user=membership.user, confirmed=True)
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save(
        update_fields=["last_t", "throttling_failure_count", "throttling_failure_timestamp"]
    )
    return {"your_password": PASSWORD, "your_code": current_code(device)}


@pytest.fixture
def step_up() -> Callable[[Any], dict[str, str]]:
    return step_up_data


@pytest.fixture
def second_admin(clinic, make_member) -> Any:
    return make_member(clinic, "avery", Role.CLINIC_ADMIN)


@pytest.fixture
def south_admin(other_clinic, make_member) -> Any:
    return make_member(other_clinic, "sol", Role.CLINIC_ADMIN)
