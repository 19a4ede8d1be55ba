"""The ledger at the chair: what the dose form calls after recording the dose. The administered
amount must match the dose record, and the dose's witness (who just re-authenticated for the dose;
a TOTP code is accepted once) witnesses the unused device of a kit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.inventory import services
from ketaclinic.inventory.models import LedgerEntry
from ketaclinic.inventory.selectors import containers_for_session
from ketaclinic.inventory.stock import balances_for
from ketaclinic.treatment import services as treatment

pytestmark = pytest.mark.django_db


def _esketamine_dose(
    nurse: Any, prescriber: Any, clinic_admin: Any, sign: Any, witness: bool = True
) -> tuple[Any, Any]:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    first = timezone.now() - dt.timedelta(minutes=6)
    dose = treatment.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal(56),
        product="Spravato 84 mg kit",
        lot_number="ESK-1",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first, first + dt.timedelta(minutes=5)],
        witness=sign(prescriber) if witness else None,
    )
    return session, dose


def test_the_dose_witness_witnesses_the_unused_device(
    receive, nurse, prescriber, clinic_admin, sign
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    session, dose = _esketamine_dose(nurse, prescriber, clinic_admin, sign)
    assert kit in containers_for_session(session)
    entry = services.administration_record(
        by=nurse,
        session=session,
        container=kit,
        drawn=Decimal(3),
        administered=Decimal(2),
        wasted=Decimal(1),
        dose=dose,
    )
    assert entry.witness_id == prescriber.user_id
    assert entry.patient_id == session.patient_id and entry.session_id == session.pk
    assert balances_for([kit.pk])[kit.pk] == Decimal(0)


def test_the_ledger_refuses_an_amount_the_dose_record_does_not_show(
    receive, nurse, prescriber, clinic_admin, sign
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    session, dose = _esketamine_dose(nurse, prescriber, clinic_admin, sign)
    with pytest.raises(ValidationError, match="2 device"):
        services.administration_record(
            by=nurse,
            session=session,
            container=kit,
            drawn=Decimal(3),
            administered=Decimal(3),
            dose=dose,
        )
    assert not LedgerEntry.objects.filter(kind="administration").exists()


def test_waste_after_an_unwitnessed_dose_still_needs_a_witness(
    receive, nurse, prescriber, clinic_admin, sign
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    session, dose = _esketamine_dose(nurse, prescriber, clinic_admin, sign, witness=False)
    with pytest.raises(ValidationError, match="no witness signature"):
        services.administration_record(
            by=nurse,
            session=session,
            container=kit,
            drawn=Decimal(3),
            administered=Decimal(2),
            wasted=Decimal(1),
            dose=dose,
        )
    assert balances_for([kit.pk])[kit.pk] == Decimal(3)
