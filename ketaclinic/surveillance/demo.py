"""The surveillance demo step (``core.demo``): one patient in the demo clinic with an overdue
surveillance item. Uma Overdue began esketamine for TRD ten weeks ago; her urinalysis was done two
weeks ago, but the review of benefit due at the end of induction (week 4) was never recorded.
The demo clinic's other patients in a course get their due items recorded, so that the safety
page shows her alone. Synthetic data only; idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Role
from ketaclinic.patients.models import Patient
from ketaclinic.patients.services import patient_create, weight_record
from ketaclinic.screening.demo import screen
from ketaclinic.surveillance import selectors, services
from ketaclinic.surveillance.models import Result
from ketaclinic.surveillance.rules.due import ItemKind
from ketaclinic.treatment.selectors.protocols import active_versions
from ketaclinic.treatment.services import course_enrol, protocol_copy_from_library

CLINIC_CODE = "demo"
MRN = "SRV-01"
PROTOCOL = "esketamine_trd"
_FINE = {
    ItemKind.URINARY: Result.NORMAL,
    ItemKind.LIVER: Result.NORMAL,
    ItemKind.BENEFIT_REVIEW: Result.BENEFIT,
}


def seed(out: Callable[[str], None]) -> None:
    clinic = Clinic.objects.filter(code=CLINIC_CODE).first()
    if clinic is not None:
        seed_clinic(clinic, out)


def seed_clinic(clinic: Clinic, out: Callable[[str], None]) -> bool:
    """Seed ``clinic``; False when already seeded (the patient exists)."""
    if Patient.objects.filter(clinic=clinic, mrn=MRN).exists():
        return False
    prescriber = Membership.objects.select_related("user", "clinic").get(
        clinic=clinic, role=Role.PRESCRIBER, is_active=True
    )
    nurse = Membership.objects.select_related("user", "clinic").get(
        clinic=clinic, role=Role.NURSE, is_active=True
    )
    today = timezone.now().astimezone(clinic.tzinfo).date()
    # Everyone already in a course: what is overdue is recorded as done yesterday.
    policy, _, _ = selectors.clinic_settings(clinic_id=clinic.pk)
    for row in selectors.overdue_items(clinic_id=clinic.pk, today=today, policy=policy):
        services.surveillance_record(
            by=nurse,
            patient=row.patient,
            kind=row.item.kind.value,
            done_on=today - dt.timedelta(days=1),
            result=_FINE[row.item.kind],
            note="Demo record.",
        )
    patient = patient_create(
        by=prescriber,
        mrn=MRN,
        given_name="Uma",
        family_name="Overdue",
        date_of_birth=dt.date(1979, 8, 21),
        sex="female",
    )
    weight_record(
        by=nurse,
        patient=patient,
        value=Decimal("64"),
        unit="kg",
        measured_at=timezone.now() - dt.timedelta(weeks=10, days=1),
    )
    version = next(
        (v for v in active_versions(membership=prescriber) if v.family.library_code == PROTOCOL),
        None,
    )
    if version is None:
        admin = Membership.objects.get(clinic=clinic, role=Role.CLINIC_ADMIN, is_active=True)
        version = protocol_copy_from_library(by=admin, library_code=PROTOCOL)
    screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(version.protocol.drug),
        indication=version.protocol.indication,
    )
    course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note="Demo: TRD after two adequate trials; reviewed history; consented.",
        start_date=today - dt.timedelta(weeks=10),
        history=True,
        session_time=dt.time(10, 0),
    )
    services.surveillance_record(
        by=nurse,
        patient=patient,
        kind=ItemKind.URINARY.value,
        done_on=today - dt.timedelta(weeks=2),
        result=Result.NORMAL,
        note="Dipstick clear; no new urinary symptoms.",
    )
    out(f"Surveillance demo: {MRN} Uma Overdue has an overdue review of benefit.")
    return True
