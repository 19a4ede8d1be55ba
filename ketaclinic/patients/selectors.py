"""Reads of the registry. Every function takes the caller's membership and returns only that clinic's
records; a record of another clinic is indistinguishable from one that does not exist (404)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar, cast
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.patients import rules
from ketaclinic.patients.models import (
    Allergy,
    Diagnosis,
    HeightMeasurement,
    MeasuredAtFilled,
    Medication,
    Patient,
    RecordStatus,
    WeightMeasurement,
)

T = TypeVar("T", bound=WeightMeasurement | HeightMeasurement | Diagnosis | Allergy | Medication)

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


def _as_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar date, no time)
        except ValueError:
            continue
    return None


def patient_search(
    *, membership: Membership, query: str = "", include_archived: bool = False
) -> QuerySet[Patient]:
    if not membership.can(Perm.PATIENT_VIEW):
        raise PermissionDenied
    qs = Patient.objects.filter(clinic_id=membership.clinic_id)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    query = query.strip()
    if not query:
        return qs.order_by("family_name", "given_name", "mrn")
    as_date = _as_date(query)
    if as_date is not None:
        return qs.filter(date_of_birth=as_date).order_by("family_name", "given_name")
    condition = Q(mrn__iexact=query)
    for word in re.split(r"[\s,]+", query):
        if word:
            condition |= Q(mrn__istartswith=word)
    # Names: every word of the query inside the stored search key (given, family and preferred
    # name, case folded for any script and without accents: ``rules.search_key``), so "ÉLODIE"
    # finds "Élodie", "allis" finds "McAllister" and "quinn lark" finds Quinn Larkmoor.
    words = [rules.search_key(w) for w in re.split(r"[\s,]+", query) if w]
    name_condition = Q()
    for word in words:
        if word:
            name_condition &= Q(search_name__contains=word)
    if not name_condition:
        return qs.filter(condition).order_by("family_name", "given_name")
    return qs.filter(condition | name_condition).order_by("family_name", "given_name")


def duplicate_candidates(
    *,
    clinic_id: int,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    exclude_pk: UUID | None = None,
) -> list[Patient]:
    """Patients of the clinic (archived ones too) with the same given and family name, compared by
    search key (any case, with or without accents), and the same date of birth. For the service's
    refusal; pages show them through ``likely_duplicates``, which checks the caller's role."""
    key = rules.search_key(given_name, family_name)
    candidates = Patient.objects.filter(clinic_id=clinic_id, date_of_birth=date_of_birth)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    return [
        p
        for p in candidates.order_by("family_name", "given_name", "mrn")
        if rules.search_key(p.given_name, p.family_name) == key
    ]


def likely_duplicates(
    *, membership: Membership, given_name: str, family_name: str, date_of_birth: date
) -> list[Patient]:
    """The likely duplicates the caller may see (an empty list for a role that cannot open
    patients); each is an audited read, like a search result."""
    if not membership.can(Perm.PATIENT_VIEW):
        return []
    found = duplicate_candidates(
        clinic_id=membership.clinic_id,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
    )
    for patient in found:
        note_read(patient, patient.pk)
    return found


def get_patient_for_user(*, membership: Membership | None, pk: UUID, perm: Perm) -> Patient:
    """The patient, if it belongs to the caller's active clinic (else 404) and their role has ``perm``
    there (else 403)."""
    if membership is None:
        raise Http404
    patient = (
        Patient.objects.select_related("clinic")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if patient is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    note_read(patient, patient.pk)
    return patient


@dataclass(frozen=True)
class Chart:
    patient: Patient
    weights: list[WeightMeasurement]
    heights: list[HeightMeasurement]
    diagnoses: list[Diagnosis]
    allergies: list[Allergy]
    medications: list[Medication]

    @property
    def latest_weight(self) -> WeightMeasurement | None:
        return next((w for w in self.weights if w.status == RecordStatus.ACTIVE), None)

    @property
    def latest_height(self) -> HeightMeasurement | None:
        return next((h for h in self.heights if h.status == RecordStatus.ACTIVE), None)

    @property
    def rems_flags(self) -> list[str]:
        flags: list[str] = []
        for med in self.medications:
            if med.status == RecordStatus.ACTIVE and med.stopped_on is None:
                flags.extend(f for f in med.rems_flags if f not in flags)
        return flags


def patient_chart(*, patient: Patient) -> Chart:
    return Chart(
        patient=patient,
        weights=list(
            WeightMeasurement.objects.filter(patient=patient).select_related("recorded_by")
        ),
        heights=list(
            HeightMeasurement.objects.filter(patient=patient).select_related("recorded_by")
        ),
        diagnoses=list(Diagnosis.objects.filter(patient=patient).select_related("recorded_by")),
        allergies=list(Allergy.objects.filter(patient=patient).select_related("recorded_by")),
        medications=list(Medication.objects.filter(patient=patient).select_related("recorded_by")),
    )


def latest_weight(*, patient: Patient) -> WeightMeasurement | None:
    """For dosing (the treatment issue): the newest weight that is not entered in error and
    whose date is known. A weight imported without its measurement date carries the import's
    time (``MeasuredAtFilled.IMPORT_TIME``): it would look freshly measured, so it is never the
    weight a dose is computed from (``undated_imported_weight`` says why there is none)."""
    return (
        WeightMeasurement.objects.filter(patient=patient, status=RecordStatus.ACTIVE)
        .exclude(measured_at_filled=MeasuredAtFilled.IMPORT_TIME)
        .order_by("-measured_at")
        .first()
    )


def undated_imported_weight(*, patient: Patient) -> bool:
    """Whether the patient has an imported weight without its measurement date."""
    return WeightMeasurement.objects.filter(
        patient=patient,
        status=RecordStatus.ACTIVE,
        measured_at_filled=MeasuredAtFilled.IMPORT_TIME,
    ).exists()


def get_chart_entry_for_user(
    *, membership: Membership | None, model: type[T], pk: int, perm: Perm
) -> T:
    if membership is None:
        raise Http404
    entry = cast(
        "T | None",
        model._default_manager.select_related("patient")
        .filter(pk=pk, patient__clinic_id=membership.clinic_id)
        .first(),
    )
    if entry is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    note_read(entry, entry.patient_id)
    return entry
