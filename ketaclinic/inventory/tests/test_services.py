"""The ledger's services: receipts, administration, waste, destruction, transfer, loss, counts,
reversals; witnesses re-authenticate and never witness their own entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.inventory import services
from ketaclinic.inventory.models import CountKind, InventoryKind, LedgerEntry, LossKind, TakenAt
from ketaclinic.inventory.selectors import containers_for_session, stock_by_container
from ketaclinic.inventory.stock import balances_for
from ketaclinic.inventory.tests.conftest import sign_off
from ketaclinic.inventory.verify import ledger_verify

pytestmark = pytest.mark.django_db


def _balance(container) -> Decimal:
    return balances_for([container.pk])[container.pk]


def test_a_receipt_makes_one_full_container_per_vial_with_a_witness(receive, nurse, prescriber):
    receipt = receive(count=3)
    containers = list(receipt.containers.order_by("label"))
    assert [c.label for c in containers] == ["K-00001", "K-00002", "K-00003"]
    assert [_balance(c) for c in containers] == [Decimal("500.000")] * 3
    entry = LedgerEntry.objects.filter(receipt=receipt).first()
    assert entry is not None and entry.witness_id == prescriber.user_id
    assert receipt.received_by_id == nurse.user_id
    assert AuditEvent.objects.filter(event_type=EventType.STOCK_RECEIVED).count() == 1
    assert ledger_verify().ok


def test_a_receipt_refuses_a_bad_supplier_dea_number_before_spending_the_code(receive):
    with pytest.raises(ValidationError) as exc:
        receive(supplier_dea_number="RB1234567")
    assert "check digit" in str(exc.value.message_dict["supplier_dea_number"])
    assert not LedgerEntry.objects.exists()


def test_nobody_witnesses_their_own_receipt(receive, nurse):
    with pytest.raises(ValidationError) as exc:
        receive(witness=sign_off(nurse))
    assert "another person" in str(exc.value.message_dict["witness_password"])
    assert not LedgerEntry.objects.exists()
    assert AuditEvent.objects.filter(event_type=EventType.STOCK_WITNESS_FAILED).exists()


def test_a_wrong_witness_password_is_refused_and_audited(receive, prescriber):
    bad = services.WitnessSignOff(prescriber.user.username, "wrong-password", "000000")
    with pytest.raises(ValidationError):
        receive(witness=bad)
    assert AuditEvent.objects.filter(
        event_type=EventType.REAUTH_FAILED, actor_id=prescriber.user_id
    ).exists()


def test_a_front_desk_user_cannot_witness(receive, front_desk):
    with pytest.raises(ValidationError):
        receive(witness=sign_off(front_desk))


def test_a_researcher_cannot_receive_stock(receive, researcher):
    with pytest.raises(PermissionDenied):
        receive(by=researcher)


def test_waste_takes_stock_and_needs_a_witness(receive, nurse, prescriber, sign):
    container = receive().containers.get()
    with pytest.raises(ValidationError):
        services.waste_record(
            by=nurse, container=container, amount=Decimal(10), reason="Drawn in error", witness=None
        )
    services.waste_record(
        by=nurse,
        container=container,
        amount=Decimal(10),
        reason="Drawn in error",
        witness=sign(prescriber),
    )
    assert _balance(container) == Decimal(490)
    container.refresh_from_db()
    assert container.opened_at is not None


def test_no_entry_takes_more_than_the_container_holds(receive, nurse, inventory_manager):
    container = receive().containers.get()
    with pytest.raises(ValidationError) as exc:
        services.loss_record(
            by=nurse,
            container=container,
            amount=Decimal("500.001"),
            kind=LossKind.BREAKAGE,
            # The clinic's day, not the server's (00:00-05:00 UTC it is still yesterday in New York).
            discovered_on=timezone.localdate(timezone.now(), nurse.clinic.tzinfo),
            note="Vial dropped",
        )
    assert "Only 500.000 mg are left" in str(exc.value)
    assert _balance(container) == Decimal(500)


def test_a_reversal_restores_the_balance_and_names_the_original(receive, nurse, inventory_manager):
    container = receive().containers.get()
    report = services.loss_record(
        by=nurse,
        container=container,
        amount=Decimal(50),
        kind=LossKind.SIGNIFICANT_LOSS,
        discovered_on=timezone.localdate(timezone.now(), nurse.clinic.tzinfo),
        note="Not found at count",
    )
    assert report.form_106_due == report.discovered_on + dt.timedelta(days=45)
    assert report.notice_due > report.discovered_on
    reversal = services.entry_reverse(
        by=inventory_manager, entry=report.entry, reason="Found in the second safe"
    )
    assert reversal.reverses_id == report.entry.pk
    assert _balance(container) == Decimal(500)
    with pytest.raises(ValidationError):
        services.entry_reverse(by=inventory_manager, entry=report.entry, reason="again")
    with pytest.raises(PermissionDenied):
        services.entry_reverse(by=nurse, entry=reversal, reason="nurse")


def test_a_transfer_moves_the_whole_container(receive, nurse, room):
    container = receive().containers.get()
    services.transfer_record(by=nurse, container=container, to_location=room)
    container.refresh_from_db()
    assert container.location_id == room.pk
    assert _balance(container) == Decimal(500)
    assert ledger_verify().ok


def test_destruction_needs_two_different_witnesses(
    receive, inventory_manager, nurse, prescriber, sign
):
    container = receive().containers.get()
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    with pytest.raises(ValidationError):
        services.destruction_record(
            by=inventory_manager,
            container=container,
            amount=Decimal(500),
            method="Chemical digestion (Rx Destroyer)",
            place="Main safe room",
            destroyed_on=today,
            witness=sign(nurse),
            second_witness=sign_off(nurse),
        )
    entry = services.destruction_record(
        by=inventory_manager,
        container=container,
        amount=Decimal(500),
        method="Chemical digestion (Rx Destroyer)",
        place="Main safe room",
        destroyed_on=today,
        witness=sign(nurse),
        second_witness=sign(prescriber),
    )
    assert (entry.witness_id, entry.second_witness_id) == (nurse.user_id, prescriber.user_id)
    assert _balance(container) == 0


def test_a_count_with_a_discrepancy_is_resolved_by_an_approved_adjustment(
    receive, nurse, inventory_manager, safe
):
    a, b = receive(count=2).containers.order_by("label")
    count = services.count_record(
        by=nurse,
        location=safe,
        kind=CountKind.DAILY,
        counted={a.pk: Decimal(500), b.pk: Decimal(480)},
    )
    line = count.lines.get(container=b)
    assert (line.expected, line.counted) == (Decimal(500), Decimal(480))
    assert line.is_discrepancy
    with pytest.raises(PermissionDenied):
        services.discrepancy_resolve(by=nurse, line=line, investigation_note="x" * 20, adjust=True)
    services.discrepancy_resolve(
        by=inventory_manager,
        line=line,
        investigation_note="Vial overfill miscounted at receipt; confirmed by weight.",
        adjust=True,
    )
    line.refresh_from_db()
    assert (
        line.adjustment is not None and line.adjustment.approved_by_id == inventory_manager.user_id
    )
    assert _balance(b) == Decimal(480)


def test_a_count_must_cover_every_container(receive, nurse, safe):
    a, _b = receive(count=2).containers.order_by("label")
    with pytest.raises(ValidationError):
        services.count_record(
            by=nurse, location=safe, kind=CountKind.SHIFT, counted={a.pk: Decimal(500)}
        )


def test_an_inventory_snapshot_records_every_container(receive, inventory_manager):
    receive(count=2)
    report = services.inventory_take(
        by=inventory_manager, kind=InventoryKind.INITIAL, time_of_day=TakenAt.OPENING
    )
    assert len(report.lines) == 2
    assert report.lines[0]["quantity"] == "500.000"


def test_the_chair_sees_only_the_protocol_drug_in_date_at_the_session_location(
    receive, nurse, prescriber, clinic_admin, make_patient, room
):
    iv = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    patient = make_patient(prescriber)
    testing.weigh(prescriber, patient)
    session = testing.session_now(prescriber=prescriber, patient=patient, version=iv)
    vial = receive().containers.get()
    receive(product="esk56", lot_number="ESK-1")
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    receive(lot_number="OLD", expiry_date=today + dt.timedelta(days=1))
    offered = containers_for_session(session)
    assert vial in offered and all(c.product.drug == "racemic_ketamine" for c in offered)
    entry = services.administration_record(
        by=nurse,
        session=session,
        container=vial,
        drawn=Decimal(35),
        administered=Decimal(35),
    )
    assert entry.patient_id == patient.pk and entry.session_id == session.pk
    assert _balance(vial) == Decimal(465)
    assert any(row.container == vial for row in stock_by_container(membership=nurse))


def test_the_chair_refuses_waste_without_a_witness(
    receive, nurse, prescriber, clinic_admin, make_patient
):
    iv = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    patient = make_patient(prescriber)
    testing.weigh(prescriber, patient)
    session = testing.session_now(prescriber=prescriber, patient=patient, version=iv)
    vial = receive().containers.get()
    with pytest.raises(ValidationError):
        services.administration_record(
            by=nurse,
            session=session,
            container=vial,
            drawn=Decimal(40),
            administered=Decimal(35),
            wasted=Decimal(5),
        )
    assert _balance(vial) == Decimal(500)
