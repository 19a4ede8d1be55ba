"""A small registry whose patients carry identifying data in every field, for the export tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic import testing

# Identifying strings put into every free field; none may appear in a de-identified export.
OLD: dict[str, Any] = {
    "mrn": "MRN-7771234",
    "given_name": "Zebulonia",
    "family_name": "Quixotely",
    "preferred_name": "Zebbyanne",
    "email": "zebulonia.q@example.org",
    "phone": "+1 617 555 0142",
    "address_line": "42 Wallabyway Crescent",
    "city": "Springfieldton",
    "state": "NH",
    "postal_code": "03601",  # restricted ZIP3 036 -> "000"
    "emergency_contact_name": "Horatio Quixotely",
    "emergency_contact_phone": "+1 617 555 0199",
    "emergency_contact_relation": "Brother-in-lawish",
    "notes": "Lives above the Bluebottle Bakery",
    "date_of_birth": dt.date(1931, 3, 14),  # over 89 -> "90+"
    "sex": "female",
}
YOUNG: dict[str, Any] = {
    "mrn": "MRN-8882345",
    "given_name": "Perpetua",
    "family_name": "Vanderlinde",
    "email": "perpetua.v@example.net",
    "phone": "+1 212 555 0177",
    "address_line": "7 Larkspur Mews",
    "city": "Gothamville",
    "state": "NY",
    "postal_code": "10012-3456",  # ZIP3 100
    "date_of_birth": dt.date(1984, 11, 2),
    "sex": "male",
}
AE_TEXT = "Quixotely felt dizzy near Springfieldton"


@pytest.fixture
def registry(prescriber: Any, nurse: Any, clinic_admin: Any, make_patient: Any) -> dict[str, Any]:
    from ketaclinic.treatment import services

    old = make_patient(prescriber, **OLD)
    young = make_patient(prescriber, **YOUNG)
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    testing.weigh(prescriber, old)
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, patient=old, chair="Chair Zebulonia"
    )
    first = timezone.now() - dt.timedelta(minutes=6)
    services.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal("56"),
        product="Spravato 56 mg kit",
        lot_number="LOT-QX-99871",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first, first + dt.timedelta(minutes=5)],
    )
    services.observation_record(by=nurse, session=session, code="heart_rate", value=77)
    services.observation_record(
        by=nurse, session=session, code="note", text="Quixotely asked about Springfieldton"
    )
    services.adverse_event_record(
        by=nurse,
        session=session,
        event_type="dizziness",
        severity="mild",
        serious=False,
        action_taken="Reassured Zebulonia in chair",
        outcome="resolved",
        description=AE_TEXT,
    )
    return {"old": old, "young": young, "session": session, "version": version}
