"""Screenings made by the demo and the tests, always through the services: a clean screening
that clears a patient for a protocol (with the REMS enrolment for esketamine), and the demo
clinic's patients of each kind (eligible, with precautions, not eligible, overridden)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.totp import current_code
from ketaclinic.patients.models import Patient
from ketaclinic.patients.services import patient_create
from ketaclinic.screening.models import Screening
from ketaclinic.screening.selectors import rems_enrolment
from ketaclinic.screening.services import (
    TrialInput,
    eligibility_override,
    rems_patient_enrol,
    screening_record,
)

# Every answered fact, none of them a contraindication.
CLEAN_ANSWERS: dict[str, Any] = {
    "aneurysmal_vascular_disease": False,
    "arteriovenous_malformation": False,
    "intracerebral_haemorrhage_history": False,
    "hypersensitivity_ketamine": False,
    "hypertension": False,
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "psychosis_history": False,
    "bipolar_disorder": False,
    "substance_use_disorder_active": False,
    "pregnant": False,
    "breastfeeding": False,
    "hepatic_impairment": "none",
    "raised_intracranial_pressure": False,
    "raised_intraocular_pressure": False,
    "seizure_disorder": False,
}
TWO_FAILED_TRIALS = (
    TrialInput("Sertraline", Decimal("150"), 8, True, "none"),
    TrialInput("Venlafaxine XR", Decimal("225"), 10, True, "partial"),
)


def screen(
    *,
    by: Membership,
    patient: Patient,
    protocol_code: str,
    protocol_title: str,
    drug: str,
    indication: str,
    answers: Mapping[str, Any] | None = None,
    rems: bool = True,
) -> Screening:
    """A screening with ``answers`` over the clean ones; for esketamine, the REMS enrolment too
    (unless ``rems`` is False or it exists)."""
    screening = screening_record(
        by=by,
        patient=patient,
        protocol_code=protocol_code,
        protocol_title=protocol_title,
        drug=drug,
        indication=indication,
        diagnosis_icd10="F33.2",
        diagnosis_text="Major depressive disorder, recurrent severe without psychotic features",
        answers={**CLEAN_ANSWERS, **(answers or {})},
        trials=TWO_FAILED_TRIALS,
        psychotherapy_history="CBT, 16 sessions (2024).",
        substance_screen="dast10",
        substance_screen_score=0,
        bp_measured_at=timezone.now() - dt.timedelta(minutes=5),
    )
    if rems and drug == "esketamine" and rems_enrolment(patient=patient) is None:
        rems_patient_enrol(
            by=by,
            patient=patient,
            enrolled_on=timezone.now().astimezone(by.clinic.tzinfo).date(),
            rems_patient_id=f"SYN-{str(patient.pk)[:8].upper()}",
        )
    return screening


# The demo clinic's patients of each screening kind for an esketamine course (synthetic people).
KINDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("SCR-01", "Elena", "Eligible", {}),
    (
        "SCR-02",
        "Paul",
        "Precautions",
        {"hypertension": True, "systolic_mmhg": 134, "diastolic_mmhg": 86},
    ),
    ("SCR-03", "Hana", "Hardstop", {"intracerebral_haemorrhage_history": True}),
    ("SCR-04", "Omar", "Overridden", {"psychosis_history": True}),
)


def seed_clinic(clinic: Clinic, out: Callable[[str], None], *, password: str) -> int:
    """One patient of each kind in ``clinic`` (eligible; eligible with precautions; not eligible
    for a hard contraindication; not eligible for a relative one, overridden by the prescriber
    with a signed justification). Idempotent: nothing when the first one exists."""
    if Patient.objects.filter(clinic=clinic, mrn=KINDS[0][0]).exists():
        return 0
    prescriber = Membership.objects.select_related("user", "clinic").get(
        clinic=clinic, role=Role.PRESCRIBER, is_active=True
    )
    made = 0
    for mrn, given, family, answers in KINDS:
        patient = patient_create(
            by=prescriber,
            mrn=mrn,
            given_name=given,
            family_name=family,
            date_of_birth=dt.date(1980 + made, 3, 14),
            sex="female" if made % 2 == 0 else "male",
        )
        screening = screen(
            by=prescriber,
            patient=patient,
            protocol_code="esketamine_trd",
            protocol_title="Esketamine nasal spray for treatment-resistant depression",
            drug="esketamine",
            indication="trd",
            answers=answers,
            rems=mrn != "SCR-03",  # no REMS enrolment for a patient who cannot be treated
        )
        if mrn == "SCR-04":
            device = TOTPDevice.objects.get(user=prescriber.user, confirmed=True)
            eligibility_override(
                by=prescriber,
                decision=screening.decision,
                justification="Single brief psychotic episode 12 years ago in a medication-induced "
                "delirium, none since; psychiatrist reviewed; family support; close monitoring.",
                password=password,
                token=current_code(device),
            )
            # The demo used the prescriber's current code: free it for the person running the
            # demo (synthetic demo users only), as the treatment demo does.
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, drift=0)
        made += 1
    out(f"Screening demo: {made} patients screened (one of each kind).")
    return made


def seed(out: Callable[[str], None]) -> None:
    """The demo step (``core.demo``): the demo clinic's screening kinds."""
    from ketaclinic.core.demo_data import DEMO_PASSWORD

    clinic = Clinic.objects.filter(code="demo").first()
    if clinic is not None:
        seed_clinic(clinic, out, password=DEMO_PASSWORD)
