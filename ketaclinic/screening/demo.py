"""Screenings made by the demo and the tests, always through the services: a clean screening
that clears a patient for a protocol (with the REMS enrolment for esketamine), and the demo
clinic's patients of each kind (eligible, with precautions, not eligible, overridden)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.patients.models import Patient
from ketaclinic.screening.models import Screening
from ketaclinic.screening.selectors import rems_enrolment
from ketaclinic.screening.services import TrialInput, rems_patient_enrol, screening_record

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
