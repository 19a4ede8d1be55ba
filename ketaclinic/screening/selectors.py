"""Reads of screening: a screening for a user (clinic and role checked), the clinic's rule set,
the enrolment clearance that ``treatment.course_enrol`` asks for, and the checks repeated before
every dose (``dose_time_findings``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.patients.models import Allergy, Diagnosis, Medication, Patient, RecordStatus
from ketaclinic.screening import rules
from ketaclinic.screening.models import (
    EligibilityDecision,
    RemsPatientEnrolment,
    Screening,
    ScreeningPolicy,
)
from ketaclinic.screening.rules.medclasses import (
    REMS_FLAG_CLASSES,
    Suggestion,
    suggest,
)

DEFAULT_VALID_DAYS = 90
ESKETAMINE = "esketamine"

# Allergy substances that stop a ketamine or esketamine dose: the drugs themselves and the
# excipients of the nasal spray (citric acid, edetate disodium, sodium hydroxide) and of Ketalar
# (benzethonium chloride) [SPRAVATO PI 11; Ketalar label 11].
ALLERGY_STOP_WORDS = (
    "ketamine",
    "esketamine",
    "spravato",
    "ketalar",
    "citric acid",
    "edetate",
    "edta",
    "sodium hydroxide",
    "benzethonium",
)
# ICD-10-CM codes that mean pregnancy (chapter O, Z33.1 pregnant state) or lactation (Z39.1).
PREGNANCY_CODES = ("O", "Z33")
LACTATION_CODES = ("Z39.1",)


def get_screening_for_user(*, membership: Membership | None, pk: int, perm: Perm) -> Screening:
    """The screening if it belongs to the caller's clinic (else 404) and their role has ``perm``
    (else 403)."""
    if membership is None:
        raise Http404
    screening = (
        Screening.objects.select_related("patient", "clinic", "recorded_by", "decision")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if screening is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    note_read(screening, screening.patient_id)
    return screening


def screenings_for_patient(*, patient: Patient) -> list[Screening]:
    return list(
        Screening.objects.filter(patient=patient)
        .select_related("decision", "recorded_by")
        .order_by("-recorded_at")
    )


def clinic_policy(*, clinic_id: int) -> tuple[int, dict[str, str]]:
    """(days a screening stays valid, the clinic's relative-rule levels)."""
    policy = ScreeningPolicy.objects.filter(clinic_id=clinic_id).first()
    if policy is None:
        return DEFAULT_VALID_DAYS, {}
    return policy.valid_days, dict(policy.rule_levels)


def clinic_ruleset(*, clinic_id: int) -> rules.RuleSet:
    return rules.DEFAULT_RULESET.with_levels(clinic_policy(clinic_id=clinic_id)[1])


@dataclass(frozen=True)
class Clearance:
    """Whether the patient may be enrolled in a protocol: the screening that clears it, or why
    not."""

    screening: Screening | None
    problem: str

    @property
    def cleared(self) -> bool:
        return self.screening is not None and not self.problem


def enrolment_clearance(
    *, patient: Patient, protocol_code: str, now: dt.datetime | None = None
) -> Clearance:
    """The newest screening for this protocol decides: it must permit enrolment (eligible, with
    precautions, or a signed override) and be younger than the clinic's limit."""
    valid_days, _levels = clinic_policy(clinic_id=patient.clinic_id)
    screening = (
        Screening.objects.filter(patient=patient, protocol_code=protocol_code)
        .select_related("decision")
        .order_by("-recorded_at")
        .first()
    )
    if screening is None:
        return Clearance(None, "No screening for this protocol: record one before enrolling.")
    decision: EligibilityDecision = screening.decision
    if not decision.permits_enrolment:
        reasons = "; ".join(f["reason"] for f in decision.findings)
        kind = (
            "a hard contraindication, which cannot be overridden"
            if decision.has_hard_finding
            else "relative contraindications, not overridden"
        )
        return Clearance(None, f"The latest screening is not eligible ({kind}): {reasons}")
    age = (now or timezone.now()) - screening.recorded_at
    if age > dt.timedelta(days=valid_days):
        return Clearance(
            None,
            f"The latest screening is {age.days} days old; this clinic accepts screenings up to "
            f"{valid_days} days old. Screen the patient again.",
        )
    return Clearance(screening, "")


def rems_enrolment(*, patient: Patient) -> RemsPatientEnrolment | None:
    return (
        RemsPatientEnrolment.objects.filter(patient=patient).select_related("enrolled_by").first()
    )


@dataclass(frozen=True)
class DoseFinding:
    hard: bool
    reason: str


@dataclass(frozen=True)
class MedicationClasses:
    """A current medication with the classes a clinician confirmed (its REMS flags) and those its
    name suggests (``rules.medclasses``) that nobody has confirmed yet."""

    medication: Medication
    confirmed: tuple[str, ...]
    unconfirmed: tuple[Suggestion, ...]

    @property
    def interacting(self) -> bool:
        return bool(self.confirmed or self.unconfirmed)

    def describe(self) -> str:
        parts = list(self.confirmed)
        parts += [
            f"{s.label.lower()}, ATC {s.atc_code}: suggested from the name"
            for s in self.unconfirmed
        ]
        return "; ".join(parts)


def classes_of(med: Medication) -> MedicationClasses:
    flags = tuple(med.rems_flags)
    confirmed_classes = {REMS_FLAG_CLASSES[f] for f in flags if f in REMS_FLAG_CLASSES}
    unconfirmed = tuple(s for s in suggest(med.name) if s.med_class not in confirmed_classes)
    return MedicationClasses(med, flags, unconfirmed)


def medication_classes(*, patient: Patient) -> list[MedicationClasses]:
    """The patient's current medications that belong to an interacting class, confirmed or
    suggested (shown at screening and at the chair)."""
    meds = Medication.objects.filter(
        patient=patient, status=RecordStatus.ACTIVE, stopped_on__isnull=True
    )
    return [c for c in (classes_of(m) for m in meds) if c.interacting]


def _interacting(med: Medication) -> bool:
    return classes_of(med).interacting


def dose_time_findings(
    *, patient: Patient, protocol_code: str, drug: str = ""
) -> list[DoseFinding]:
    """What can change between visits, checked before every dose. Hard (the dose stops): an
    active allergy to ketamine, esketamine or an excipient; a pregnancy or lactation diagnosis
    recorded since the screening; for esketamine, no REMS patient enrolment. Not hard (shown to the
    prescriber): an interacting medication started or recorded since the screening."""
    findings: list[DoseFinding] = []
    for allergy in Allergy.objects.filter(patient=patient, status=RecordStatus.ACTIVE):
        text = allergy.substance.lower()
        if any(word in text for word in ALLERGY_STOP_WORDS):
            findings.append(
                DoseFinding(
                    True,
                    f"Allergy recorded to {allergy.substance}: hypersensitivity to ketamine, "
                    "esketamine or an excipient is a contraindication.",
                )
            )
    screening = (
        Screening.objects.filter(patient=patient, protocol_code=protocol_code)
        .order_by("-recorded_at")
        .first()
    )
    since = screening.recorded_at if screening is not None else None
    diagnoses = Diagnosis.objects.filter(
        patient=patient, status=RecordStatus.ACTIVE, resolved_on__isnull=True
    )
    if since is not None:
        diagnoses = diagnoses.filter(recorded_at__gt=since)
    for diagnosis in diagnoses:
        code = diagnosis.icd10_code.upper()
        if code.startswith(PREGNANCY_CODES) or code.startswith(LACTATION_CODES):
            findings.append(
                DoseFinding(
                    True,
                    f"New diagnosis since the screening: {diagnosis.icd10_code} "
                    f"{diagnosis.text}. Pregnancy or breastfeeding needs a new screening.",
                )
            )
    if drug == ESKETAMINE and rems_enrolment(patient=patient) is None:
        findings.append(
            DoseFinding(
                True,
                "The patient is not enrolled in the SPRAVATO REMS: record the enrolment before "
                "the first outpatient dose.",
            )
        )
    meds = Medication.objects.filter(
        patient=patient, status=RecordStatus.ACTIVE, stopped_on__isnull=True
    )
    if since is not None:
        meds = meds.filter(recorded_at__gt=since)
    findings += [
        DoseFinding(
            False,
            f"New interacting medication since the screening: {med.name} "
            f"({classes_of(med).describe()}).",
        )
        for med in meds
        if _interacting(med)
    ]
    return findings


def patient_age_years(patient: Patient, on: dt.date) -> int:
    born = patient.date_of_birth
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def ketamine_allergy(*, patient: Patient) -> str:
    """The substance of an active allergy that means hypersensitivity, or ''."""
    for allergy in Allergy.objects.filter(patient=patient, status=RecordStatus.ACTIVE):
        if any(word in allergy.substance.lower() for word in ALLERGY_STOP_WORDS):
            return allergy.substance
    return ""
