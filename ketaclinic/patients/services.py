"""Writes to the registry. Each validates, saves and writes its audit event in one transaction.

Nothing is hard-deleted. A wrong measurement is corrected by a new row that ``replaces`` it; the old
row is marked entered in error with the reason. Demographic edits keep old and new values and the
reason in the audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.lib.units import HEIGHT_UNITS, WEIGHT_UNITS, to_cm, to_kg
from ketaclinic.patients import rules
from ketaclinic.patients.models import (
    Allergy,
    Diagnosis,
    HeightMeasurement,
    Medication,
    Patient,
    RecordStatus,
    WeightMeasurement,
)
from ketaclinic.patients.selectors import duplicate_candidates

PATIENT_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "notes",
    "hepatic_impairment",
)


def _clinic_today(membership: Membership) -> date:
    return timezone.now().astimezone(membership.clinic.tzinfo).date()


PHONE_FIELDS = ("phone", "emergency_contact_phone")


def _earliest_dated_record(patient: Patient) -> date | None:
    """The earliest date of the patient's own dated records (measurements, diagnoses, medications),
    which a corrected date of birth may not come after."""
    found: list[date] = []
    for model in (WeightMeasurement, HeightMeasurement):
        first = model.objects.filter(patient_id=patient.pk).order_by("measured_at").first()
        if first is not None:
            found.append(first.measured_at.astimezone(patient.clinic.tzinfo).date())
    for model_, field in (
        (Diagnosis, "diagnosed_on"),
        (Medication, "started_on"),
        (Medication, "stopped_on"),
    ):
        value = (
            model_.objects.filter(patient_id=patient.pk, **{f"{field}__isnull": False})
            .order_by(field)
            .values_list(field, flat=True)
            .first()
        )
        if value is not None:
            found.append(value)
    return min(found, default=None)


def _check_patient(patient: Patient, membership: Membership) -> None:
    errors: dict[str, str] = {}
    problem = rules.date_of_birth_problem(patient.date_of_birth, _clinic_today(membership))
    if problem:
        errors["date_of_birth"] = problem
    elif patient.pk is not None and not patient._state.adding:
        earliest = _earliest_dated_record(patient)
        if earliest is not None and earliest < patient.date_of_birth:
            errors["date_of_birth"] = (
                f"Date of birth cannot be after the patient's earliest dated record "
                f"({earliest.isoformat()}); correct that record first or check the date."
            )
    for field in PHONE_FIELDS:
        stored, problem = rules.phone_e164(getattr(patient, field), membership.clinic.country)
        label = "Phone" if field == "phone" else "Emergency contact phone"
        if problem:
            errors[field] = f"{label}: {problem}"
        else:
            setattr(patient, field, stored)
    patient.search_name = rules.search_key(
        patient.given_name, patient.family_name, patient.preferred_name
    )
    try:
        patient.full_clean(exclude=["clinic"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    duplicate = Patient.objects.filter(clinic_id=membership.clinic_id, mrn=patient.mrn).exclude(
        pk=patient.pk
    )
    if patient.mrn and duplicate.exists():
        errors["mrn"] = f"Medical record number {patient.mrn} is already used in this clinic."
    if errors:
        raise ValidationError(errors)


DIFFERENT_PERSON_LABEL = "This is a different person"


@transaction.atomic
def patient_create(*, by: Membership, different_person: bool = False, **fields: Any) -> Patient:
    """Register a patient. A likely duplicate (the same given and family name, in any case and
    with or without accents, and the same date of birth in this clinic) is refused unless the
    caller confirms ``different_person`` (issue 14, finding 11)."""
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown patient fields: {', '.join(sorted(unknown))}")
    patient = Patient(clinic_id=by.clinic_id, **fields)
    _check_patient(patient, by)
    duplicates = duplicate_candidates(
        clinic_id=by.clinic_id,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
    )
    if duplicates and not different_person:
        raise ValidationError(
            {
                "different_person": "A patient with this name and date of birth may already be "
                f"registered in this clinic. Open their record, or tick "
                f"“{DIFFERENT_PERSON_LABEL}” to register a new patient."
            }
        )
    try:
        with transaction.atomic():
            patient.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(
            {"mrn": f"Medical record number {patient.mrn} is already used in this clinic."}
        ) from None
    audit_record(
        event_type=EventType.PATIENT_CREATED,
        actor=by,
        obj=patient,
        patient_id=patient.pk,
        changes={f: (None, getattr(patient, f)) for f in PATIENT_FIELDS if getattr(patient, f)},
        extra={"duplicate_of_ids": [str(p.pk) for p in duplicates]} if duplicates else None,
    )
    return patient


@transaction.atomic
def patient_update(*, by: Membership, patient: Patient, reason: str, **fields: Any) -> Patient:
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown patient fields: {', '.join(sorted(unknown))}")
    locked = Patient.objects.select_for_update().get(pk=patient.pk, clinic_id=by.clinic_id)
    changes = {f: (getattr(locked, f), v) for f, v in fields.items() if getattr(locked, f) != v}
    if not changes:
        return locked
    if not reason.strip():
        raise ValidationError({"reason": "Say why this record is being changed."})
    for field, (_, new) in changes.items():
        setattr(locked, field, new)
    _check_patient(locked, by)
    locked.save(update_fields=[*changes, "search_name", "updated_at"])
    audit_record(
        event_type=EventType.PATIENT_UPDATED,
        actor=by,
        obj=locked,
        patient_id=locked.pk,
        reason=reason.strip(),
        changes=changes,
    )
    return locked


@transaction.atomic
def patient_archive(*, by: Membership, patient: Patient, reason: str) -> Patient:
    if not reason.strip():
        raise ValidationError({"reason": "Say why this patient is being archived."})
    patient.is_archived = True
    patient.save(update_fields=["is_archived", "updated_at"])
    audit_record(
        event_type=EventType.PATIENT_ARCHIVED,
        actor=by,
        obj=patient,
        patient_id=patient.pk,
        reason=reason.strip(),
        changes={"is_archived": (False, True)},
    )
    return patient


def _measured_at_problem(measured_at: datetime) -> str | None:
    if timezone.is_naive(measured_at):
        return "Measurement time must include a time zone."
    if measured_at > timezone.now() + timedelta(minutes=5):
        return "Measurement time cannot be in the future."
    return None


@dataclass(frozen=True)
class _MeasurementKind:
    """What differs between a weight and a height: the model, its stored field and units, the rule."""

    name: str
    model: type[WeightMeasurement] | type[HeightMeasurement]
    field: str
    error_key: str
    units: tuple[str, str]
    convert: Callable[[Decimal, str], Decimal]
    problem: Callable[[Decimal], str | None]


_WEIGHT = _MeasurementKind(
    "weight", WeightMeasurement, "weight_kg", "weight", WEIGHT_UNITS, to_kg, rules.weight_problem
)
_HEIGHT = _MeasurementKind(
    "height", HeightMeasurement, "height_cm", "height", HEIGHT_UNITS, to_cm, rules.height_problem
)


def _measurement_record(
    kind: _MeasurementKind,
    *,
    by: Membership,
    patient: Patient,
    value: Decimal,
    unit: str,
    measured_at: datetime,
    replaces: Any,
    reason: str,
) -> Any:
    errors: dict[str, str] = {}
    if unit not in kind.units:
        errors["unit"] = (
            f"{kind.name.title()} unit must be {' or '.join(kind.units)}; {unit!r} was entered."
        )
    else:
        problem = kind.problem(kind.convert(value, unit))
        if problem:
            errors[kind.error_key] = problem
    problem = _measured_at_problem(measured_at) or rules.not_before_birth(
        measured_at.astimezone(by.clinic.tzinfo).date(), patient.date_of_birth, "Measurement date"
    )
    if problem:
        errors["measured_at"] = problem
    if replaces is not None and not reason.strip():
        errors["reason"] = f"Say why the earlier {kind.name} is being corrected."
    if errors:
        raise ValidationError(errors)
    entry = kind.model.objects.create(
        patient=patient,
        measured_at=measured_at,
        entered_value=value,
        entered_unit=unit,
        recorded_by_id=by.user_id,
        replaces=replaces,
        **{kind.field: kind.convert(value, unit)},
    )
    new = getattr(entry, kind.field)
    changes: dict[str, tuple[Any, Any]] = {kind.field: (None, new)}
    if replaces is not None:
        _mark_entered_in_error(replaces, reason)
        changes = {kind.field: (getattr(replaces, kind.field), new)}
    audit_record(
        event_type=(
            EventType.MEASUREMENT_CORRECTED if replaces else EventType.MEASUREMENT_RECORDED
        ),
        actor=by,
        obj=entry,
        patient_id=patient.pk,
        reason=reason.strip(),
        changes=changes,
        extra={"entered": f"{value} {unit}"},
    )
    return entry


@transaction.atomic
def weight_record(
    *,
    by: Membership,
    patient: Patient,
    value: Decimal,
    unit: str,
    measured_at: datetime,
    replaces: WeightMeasurement | None = None,
    reason: str = "",
) -> WeightMeasurement:
    """Record a weight (kg or lb; stored in kg, 20-400 kg), or correct ``replaces`` with a reason."""
    entry: WeightMeasurement = _measurement_record(
        _WEIGHT,
        by=by,
        patient=patient,
        value=value,
        unit=unit,
        measured_at=measured_at,
        replaces=replaces,
        reason=reason,
    )
    return entry


@transaction.atomic
def height_record(
    *,
    by: Membership,
    patient: Patient,
    value: Decimal,
    unit: str,
    measured_at: datetime,
    replaces: HeightMeasurement | None = None,
    reason: str = "",
) -> HeightMeasurement:
    """Record a height (cm or in; stored in cm, 50-250 cm), or correct ``replaces`` with a reason."""
    entry: HeightMeasurement = _measurement_record(
        _HEIGHT,
        by=by,
        patient=patient,
        value=value,
        unit=unit,
        measured_at=measured_at,
        replaces=replaces,
        reason=reason,
    )
    return entry


def _mark_entered_in_error(entry: Any, reason: str) -> None:
    if entry.status != RecordStatus.ACTIVE:
        raise ValidationError("That entry was already corrected; correct the newest one.")
    entry.status = RecordStatus.ENTERED_IN_ERROR
    entry.status_reason = reason.strip()
    entry.save(update_fields=["status", "status_reason"])


@transaction.atomic
def diagnosis_record(
    *,
    by: Membership,
    patient: Patient,
    icd10_code: str,
    text: str,
    diagnosed_on: date | None = None,
) -> Diagnosis:
    code = icd10_code.strip().upper()
    problem = rules.icd10_problem(code)
    errors = {"icd10_code": problem} if problem else {}
    if not text.strip():
        errors["text"] = "Describe the diagnosis."
    if diagnosed_on and diagnosed_on > _clinic_today(by):
        errors["diagnosed_on"] = "Diagnosis date cannot be in the future."
    elif diagnosed_on:
        problem = rules.not_before_birth(diagnosed_on, patient.date_of_birth, "Diagnosis date")
        if problem:
            errors["diagnosed_on"] = problem
    if errors:
        raise ValidationError(errors)
    diagnosis = Diagnosis.objects.create(
        patient=patient,
        icd10_code=code,
        text=text.strip(),
        diagnosed_on=diagnosed_on,
        recorded_by_id=by.user_id,
    )
    audit_record(
        event_type=EventType.DIAGNOSIS_RECORDED,
        actor=by,
        obj=diagnosis,
        patient_id=patient.pk,
        changes={"icd10_code": (None, code), "text": (None, diagnosis.text)},
    )
    return diagnosis


@transaction.atomic
def allergy_record(
    *, by: Membership, patient: Patient, substance: str, reaction: str = "", severity: str
) -> Allergy:
    if not substance.strip():
        raise ValidationError({"substance": "Name the substance."})
    allergy = Allergy(
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        severity=severity,
        recorded_by_id=by.user_id,
    )
    allergy.full_clean(exclude=["patient", "recorded_by"])
    allergy.save()
    audit_record(
        event_type=EventType.ALLERGY_RECORDED,
        actor=by,
        obj=allergy,
        patient_id=patient.pk,
        changes={"substance": (None, allergy.substance), "severity": (None, severity)},
    )
    return allergy


MEDICATION_FLAGS = (
    "is_benzodiazepine",
    "is_non_benzo_sedative",
    "is_psychostimulant",
    "is_maoi",
    "is_opioid",
)


@transaction.atomic
def medication_record(
    *,
    by: Membership,
    patient: Patient,
    name: str,
    dose_text: str = "",
    started_on: date | None = None,
    **flags: bool,
) -> Medication:
    unknown = set(flags) - set(MEDICATION_FLAGS)
    if unknown:
        raise ValidationError(f"Unknown medication flags: {', '.join(sorted(unknown))}")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the medication."
    if started_on is not None:
        if started_on > _clinic_today(by):
            errors["started_on"] = "Start date cannot be in the future."
        else:
            problem = rules.not_before_birth(started_on, patient.date_of_birth, "Start date")
            if problem:
                errors["started_on"] = problem
    if errors:
        raise ValidationError(errors)
    medication = Medication.objects.create(
        patient=patient,
        name=name.strip(),
        dose_text=dose_text.strip(),
        started_on=started_on,
        recorded_by_id=by.user_id,
        **flags,
    )
    audit_record(
        event_type=EventType.MEDICATION_RECORDED,
        actor=by,
        obj=medication,
        patient_id=patient.pk,
        changes={"name": (None, medication.name), **{f: (None, v) for f, v in flags.items() if v}},
    )
    return medication


@transaction.atomic
def medication_stop(
    *, by: Membership, medication: Medication, stopped_on: date, reason: str
) -> Medication:
    if medication.stopped_on is not None:
        raise ValidationError({"stopped_on": "This medication is already recorded as stopped."})
    if medication.started_on and stopped_on < medication.started_on:
        raise ValidationError(
            {"stopped_on": f"Stop date cannot be before the start date {medication.started_on}."}
        )
    problem = rules.not_before_birth(stopped_on, medication.patient.date_of_birth, "Stop date")
    if problem:
        raise ValidationError({"stopped_on": problem})
    medication.stopped_on = stopped_on
    medication.save(update_fields=["stopped_on"])
    audit_record(
        event_type=EventType.MEDICATION_UPDATED,
        actor=by,
        obj=medication,
        patient_id=medication.patient_id,
        reason=reason.strip(),
        changes={"stopped_on": (None, stopped_on)},
    )
    return medication


@transaction.atomic
def chart_entry_mark_in_error(
    *, by: Membership, entry: Diagnosis | Allergy | Medication, reason: str
) -> None:
    """Withdraw a diagnosis, allergy or medication that was entered in error (kept, struck through)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry was wrong."})
    _mark_entered_in_error(entry, reason)
    event = {
        Diagnosis: EventType.DIAGNOSIS_UPDATED,
        Allergy: EventType.ALLERGY_UPDATED,
        Medication: EventType.MEDICATION_UPDATED,
    }[type(entry)]
    audit_record(
        event_type=event,
        actor=by,
        obj=entry,
        patient_id=entry.patient_id,
        reason=reason.strip(),
        changes={"status": (RecordStatus.ACTIVE.value, RecordStatus.ENTERED_IN_ERROR.value)},
    )
