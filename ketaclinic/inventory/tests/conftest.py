"""Fixtures for the ledger: the catalogue, two locations of North Clinic, and a receiver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.inventory import services
from ketaclinic.inventory.models import Location, Product, Receipt
from ketaclinic.testing import PASSWORD, totp_code


@pytest.fixture
def products(inventory_manager) -> dict[str, Product]:
    made = services.catalogue_install(by=inventory_manager)
    return {"k50": made[0], "k100": made[1], "esk28": made[2], "esk56": made[3], "esk84": made[4]}


@pytest.fixture
def safe(inventory_manager) -> Location:
    return services.location_create(by=inventory_manager, name="Main safe", serves_sessions=True)


@pytest.fixture
def room(inventory_manager) -> Location:
    return services.location_create(by=inventory_manager, name="Room 2 cabinet", chairs="Chair 2")


def sign_off(member: Any) -> services.WitnessSignOff:
    return services.WitnessSignOff(
        username=member.user.username, password=PASSWORD, token=totp_code(member.user)
    )


@pytest.fixture
def sign(time_machine) -> Callable[[Any], services.WitnessSignOff]:
    """A witness's sign-off with a fresh TOTP code: a code is accepted once, so the clock (frozen)
    moves on to one second into the next 30-second step before each. Exactly one step: a form with
    two witnesses is checked at the second one's step, and the first code, one step old, is still
    within the verifier's tolerance (a plain shift of 31 s crossed two steps about once in 30,
    which made these tests fail at random)."""
    time_machine.move_to(timezone.now(), tick=False)

    def _sign(member: Any) -> services.WitnessSignOff:
        step = int(timezone.now().timestamp() // 30) + 1
        time_machine.move_to(dt.datetime.fromtimestamp(step * 30 + 1, tz=dt.UTC), tick=False)
        return sign_off(member)

    return _sign


@pytest.fixture
def receive(nurse, prescriber, products, safe, sign) -> Callable[..., Receipt]:
    def _receive(product: str = "k50", count: int = 1, **kwargs: Any) -> Receipt:
        today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
        params: dict[str, Any] = {
            "by": nurse,
            "product": products[product],
            "location": safe,
            "supplier_name": "Example Pharma Distribution",
            "supplier_address": "1 Supply Road, Albany, NY 12201",
            "supplier_dea_number": "RB1234563",
            "invoice_number": "INV-1001",
            "received_on": today,
            "lot_number": "LOT-A1",
            "expiry_date": today + dt.timedelta(days=365),
            "container_count": count,
            "witness": sign(prescriber),
        }
        params.update(kwargs)
        return services.receipt_record(**params)

    return _receive
