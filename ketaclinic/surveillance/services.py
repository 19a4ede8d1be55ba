"""Writes of surveillance: record that an item was done, mark a record entered in error (the row
stays), and set a clinic's intervals. Each writes its audit event (ids only) in its transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient
from ketaclinic.patients.rules import not_before_birth
from ketaclinic.surveillance.models import (
    RESULTS_BY_KIND,
    Result,
    SurveillancePolicy,
    SurveillanceRecord,
)
from ketaclinic.surveillance.rules.due import (
    ITEM_LABELS,
    MAX_INDUCTION_WEEKS,
    MAX_INTERVAL_WEEKS,
    MIN_INTERVAL_WEEKS,
    ItemKind,
)

#: Who records a surveillance item: the clinical staff who enter measurements (prescriber, nurse).
RECORD_PERM = Perm.PATIENT_CLINICAL_EDIT
MAX_NOTE_CHARS = 2000


def _own(by: Membership, patient: Patient) -> None:
    if patient.clinic_id != by.clinic_id:
        raise PermissionDenied
    if not by.can(RECORD_PERM):
        raise PermissionDenied


@transaction.atomic
def surveillance_record(
    *, by: Membership, patient: Patient, kind: str, done_on: dt.date, result: str, note: str = ""
) -> SurveillanceRecord:
    """Record that ``kind`` was done on ``done_on`` with ``result``. The date is checked: not in
    the future (the clinic's today), not before the patient's birth."""
    _own(by, patient)
    errors: dict[str, str] = {}
    allowed_kinds = [k.value for k in ItemKind]
    if kind not in allowed_kinds:
        errors["kind"] = "Choose one of: " + ", ".join(ITEM_LABELS.values()) + "."
    else:
        allowed = RESULTS_BY_KIND[kind]
        if result not in allowed:
            labels = ", ".join(str(Result(r).label) for r in allowed)
            errors["result"] = f"For {ITEM_LABELS[ItemKind(kind)].lower()} choose: {labels}."
    today = timezone.now().astimezone(by.clinic.tzinfo).date()
    if done_on > today:
        errors["done_on"] = (
            f"Date done ({done_on.isoformat()}) cannot be in the future (today is "
            f"{today.isoformat()})."
        )
    else:
        problem = not_before_birth(done_on, patient.date_of_birth, "Date done")
        if problem:
            errors["done_on"] = problem
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        errors["note"] = f"Note: at most {MAX_NOTE_CHARS} characters."
    if errors:
        raise ValidationError(errors)
    record = SurveillanceRecord.objects.create(
        clinic_id=by.clinic_id,
        patient=patient,
        kind=kind,
        done_on=done_on,
        result=result,
        note=note,
        recorded_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    audit_record(
        event_type=EventType.SURVEILLANCE_RECORDED,
        actor=by,
        obj=record,
        patient_id=patient.pk,
        extra={"surveillance_item": kind},
    )
    return record


@transaction.atomic
def surveillance_mark_in_error(
    *, by: Membership, record: SurveillanceRecord, reason: str
) -> SurveillanceRecord:
    """Mark a record entered in error: it stays, flagged, and stops counting as done."""
    record = (
        SurveillanceRecord.objects.select_for_update().select_related("patient").get(pk=record.pk)
    )
    _own(by, record.patient)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the record is in error."})
    if record.in_error:
        raise ValidationError("This record is already marked entered in error.")
    record.in_error = True
    record.in_error_reason = reason
    record.in_error_by_id = by.user_id
    record.in_error_at = timezone.now()
    record.save(update_fields=["in_error", "in_error_reason", "in_error_by", "in_error_at"])
    audit_record(
        event_type=EventType.SURVEILLANCE_IN_ERROR,
        actor=by,
        obj=record,
        patient_id=record.patient_id,
        reason=reason,
        changes={"in_error": (False, True)},
    )
    return record


POLICY_FIELDS = (
    "urinary_interval_weeks",
    "liver_interval_weeks",
    "induction_weeks",
    "review_interval_weeks",
    "escalation_percent",
)
_LIMITS = {
    "urinary_interval_weeks": (MIN_INTERVAL_WEEKS, MAX_INTERVAL_WEEKS, "weeks"),
    "liver_interval_weeks": (MIN_INTERVAL_WEEKS, MAX_INTERVAL_WEEKS, "weeks"),
    "review_interval_weeks": (MIN_INTERVAL_WEEKS, MAX_INTERVAL_WEEKS, "weeks"),
    "induction_weeks": (1, MAX_INDUCTION_WEEKS, "weeks"),
    "escalation_percent": (1, 500, "%"),
}


@transaction.atomic
def surveillance_policy_set(*, by: Membership, values: dict[str, int]) -> SurveillancePolicy:
    """A clinic admin sets the clinic's intervals and the dose-escalation threshold."""
    if not by.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    errors = {}
    for name in POLICY_FIELDS:
        low, high, unit = _LIMITS[name]
        value = values.get(name)
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Between {low} and {high} {unit}."
    if errors:
        raise ValidationError(errors)
    policy = SurveillancePolicy.objects.select_for_update().filter(clinic_id=by.clinic_id).first()
    if policy is None:
        policy = SurveillancePolicy(clinic_id=by.clinic_id)
    old = {name: getattr(policy, name) for name in POLICY_FIELDS}
    for name in POLICY_FIELDS:
        setattr(policy, name, values[name])
    policy.updated_by_id = by.user_id
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        event_type=EventType.SURVEILLANCE_POLICY_UPDATED,
        actor=by,
        obj=policy,
        changes={name: (old[name], values[name]) for name in POLICY_FIELDS},
    )
    return policy
