"""The ledger's pages: who sees them, receiving and wasting with a witness on the same screen, the
count with a discrepancy resolved by the inventory manager, and the log's CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.inventory.models import CountLine, LedgerEntry
from ketaclinic.inventory.stock import balances_for
from ketaclinic.inventory.views.reports import csv_cell
from ketaclinic.testing import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [("nurse", 200), ("inventory_manager", 200), ("front_desk", 403), ("researcher", 403)],
)
def test_the_stock_page_is_for_stock_handlers(request, login, persona, status) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("inventory:stock")).status_code == status


def test_a_nurse_receives_a_vial_with_a_witness_on_the_same_screen(
    login, nurse, prescriber, products, safe
) -> None:
    client = login(nurse)
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    data = {
        "product": products["k50"].pk,
        "location": safe.pk,
        "lot_number": "LOT-9",
        "expiry_date": (today + dt.timedelta(days=200)).isoformat(),
        "container_count": 1,
        "supplier_name": "Example Distribution",
        "supplier_address": "1 Supply Road",
        "supplier_dea_number": "RB1234563",
        "invoice_number": "INV-9",
        "received_on": today.isoformat(),
        "witness_username": prescriber.user.username,
        "witness_password": PASSWORD,
        "witness_token": totp_code(prescriber.user),
    }
    response = client.post(reverse("inventory:receive"), data)
    assert response.status_code == 302
    page = client.get(reverse("inventory:stock")).content.decode()
    assert "K-00001" in page and "500 mg" in page and "10 mL" in page


def test_a_wrong_witness_code_shows_on_the_form_and_records_nothing(
    login, nurse, prescriber, receive
) -> None:
    container = receive().containers.get()
    client = login(nurse)
    response = client.post(
        reverse("inventory:container", args=[container.pk]),
        {
            "amount": "12.5",
            "reason": "Remainder",
            "witness_username": prescriber.user.username,
            "witness_password": "not-the-password",
            "witness_token": "123456",
        },
    )
    assert response.status_code == 200
    assert "The witness could not be confirmed" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind="waste").exists()


def test_a_count_discrepancy_is_resolved_by_the_inventory_manager(
    login, client, nurse, inventory_manager, receive, safe
) -> None:
    container = receive().containers.get()
    nurse_client = login(nurse)
    response = nurse_client.post(
        reverse("inventory:count", args=[safe.pk]), {"kind": "daily", f"c{container.pk}": "480"}
    )
    assert response.status_code == 302
    detail = nurse_client.get(response["Location"]).content.decode()
    assert "Discrepancy: -20" in detail and "Resolve" not in detail
    line = CountLine.objects.get()
    manager = login(inventory_manager)
    resolved = manager.post(
        reverse("inventory:resolve", args=[line.pk]),
        {"investigation_note": "Spill during a draw, not recorded.", "outcome": "adjust"},
    )
    assert resolved.status_code == 302
    assert balances_for([container.pk])[container.pk] == Decimal(480)
    assert "Resolved by" in manager.get(resolved["Location"]).content.decode()


def test_the_log_csv_neutralises_formula_cells(login, inventory_manager) -> None:
    assert [csv_cell(v) for v in ["=1+1", "+1", "-2", "@x", "\tx", "\rx", "ok"]] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@x",
        "'\tx",
        "'\rx",
        "ok",
    ]
    response = login(inventory_manager).get(
        reverse("inventory:log_csv"), {"start": "2026-01-01", "end": "2026-01-31"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("Entry,Date and time,Kind")


def test_the_log_refuses_an_end_before_the_start(login, nurse) -> None:
    response = login(nurse).get(
        reverse("inventory:log"), {"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert "ends before it starts" in response.content.decode()
