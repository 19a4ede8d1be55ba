"""``/patients``: the registry (read) and each patient's rating-scale responses (read, record)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from ketaclinic.accounts.http import membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.api.schemas import (
    Message,
    PatientOut,
    PatientPage,
    PatientQuery,
    ScaleResponseIn,
    ScaleResponseOut,
    ScaleResponsePage,
    ScaleResponseQuery,
    ValidationMessage,
)
from ketaclinic.lib.context import note_read
from ketaclinic.patients.selectors import get_patient_for_user, patient_search
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.scales.selectors import responses_for_patient
from ketaclinic.scales.services import scale_response_record

router = Router(tags=["patients"])

ERRORS: dict[int, Any] = {401: Message, 403: Message, 404: Message, 422: ValidationMessage}


def _response_out(response: ScaleResponse, *, clinical: bool) -> dict[str, Any]:
    return {
        "id": response.pk,
        "code": response.code,
        "scale_version": response.scale_version,
        "effective_at": response.effective_at,
        "recorded_at": response.recorded_at,
        "source": response.source,
        "status": response.status,
        "amends_id": response.amends_id,
        "answers": response.answers if clinical else None,
        "total": response.total if clinical else None,
        "band": (response.band or None) if clinical else None,
        "flags": response.flags if clinical else None,
    }


@router.get("", response={200: PatientPage, **ERRORS}, summary="List or search patients")
def list_patients(request: HttpRequest, query: Query[PatientQuery]) -> dict[str, Any]:
    membership = membership_of(request)
    q, limit, offset = query.q, query.limit, query.offset
    qs = patient_search(membership=membership, query=q)
    rows = list(qs[offset : offset + limit])
    for patient in rows:
        note_read(patient, patient.pk)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": rows}


@router.get("/{patient_id}", response={200: PatientOut, **ERRORS}, summary="One patient")
def get_patient(request: HttpRequest, patient_id: UUID) -> Any:
    return get_patient_for_user(
        membership=membership_of(request), pk=patient_id, perm=Perm.PATIENT_VIEW
    )


@router.get(
    "/{patient_id}/scale-responses",
    response={200: ScaleResponsePage, **ERRORS},
    summary="A patient's rating-scale responses, newest first",
)
def list_scale_responses(
    request: HttpRequest, patient_id: UUID, query: Query[ScaleResponseQuery]
) -> dict[str, Any]:
    code, limit, offset = query.code, query.limit, query.offset
    membership = membership_of(request)
    patient = get_patient_for_user(membership=membership, pk=patient_id, perm=Perm.PATIENT_VIEW)
    qs = responses_for_patient(membership=membership, patient=patient, code=code)
    # As the web pages: answers and scores for those who record scales; others see that a
    # response exists and when (scales.views._sees_answers).
    clinical = membership.can(Perm.SCALE_RECORD)
    rows = list(qs[offset : offset + limit])
    for response in rows:
        note_read(response, patient.pk)
    items = [_response_out(r, clinical=clinical) for r in rows]
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": items}


@router.post(
    "/{patient_id}/scale-responses",
    response={201: ScaleResponseOut, **ERRORS},
    summary="Record a rating-scale response entered by staff",
)
def create_scale_response(
    request: HttpRequest, patient_id: UUID, payload: ScaleResponseIn
) -> Status[dict[str, Any]]:
    membership = membership_of(request)
    patient = get_patient_for_user(membership=membership, pk=patient_id, perm=Perm.SCALE_RECORD)
    response = scale_response_record(
        by=membership,
        patient=patient,
        code=payload.code,
        answers=payload.answers,
        effective_at=payload.effective_at,
    )
    return Status(201, _response_out(response, clinical=True))
