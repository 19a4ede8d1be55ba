"""Reads of the scales app. Functions that take a membership return only that clinic's rows (another
clinic's object is a 404) and check the role; functions that take a patient trust that the caller
already fetched the patient through a selector (``patients.selectors.get_patient_for_user``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.scales.models import (
    LicensedScaleText,
    ResponseStatus,
    ScaleResponse,
    SelfReportLink,
)
from ketaclinic.scales.text import LicensedText, parse_item_text

Series = list[tuple[datetime, float]]


def latest_responses(
    *, patient: Patient, codes: Iterable[str], since: datetime | None = None
) -> dict[str, ScaleResponse]:
    """For the treatment issue: the newest final (not amended) response per code, by the time the
    answers refer to; codes without one (since ``since``, when given) are absent from the dict."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return {}
    qs = ScaleResponse.objects.filter(patient=patient, code__in=wanted, status=ResponseStatus.FINAL)
    if since is not None:
        qs = qs.filter(effective_at__gte=since)
    found: dict[str, ScaleResponse] = {}
    for response in qs.order_by("code", "-effective_at", "-id"):
        found.setdefault(response.code, response)
    return found


def responses_for_patient(
    *, membership: Membership, patient: Patient, code: str | None = None
) -> QuerySet[ScaleResponse]:
    """Every response of ``patient`` (final and amended), newest first."""
    if patient.clinic_id != membership.clinic_id:
        raise Http404
    if not membership.can(Perm.PATIENT_VIEW):
        raise PermissionDenied
    qs = ScaleResponse.objects.filter(patient=patient).select_related("recorded_by")
    if code is not None:
        qs = qs.filter(code=code)
    return qs.order_by("-effective_at", "-id")


def get_response_for_user(*, membership: Membership | None, pk: int, perm: Perm) -> ScaleResponse:
    if membership is None:
        raise Http404
    response = (
        ScaleResponse.objects.select_related("patient", "recorded_by", "amends", "clinic")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if response is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    return response


def clinic_outcome_series(*, clinic_id: int, codes: Iterable[str]) -> dict[str, dict[UUID, Series]]:
    """For outcomes: per code, per patient, the (effective_at, total) series of final scored
    responses in time order. One query over the outcome index."""
    rows = (
        ScaleResponse.objects.filter(
            clinic_id=clinic_id,
            code__in=list(codes),
            status=ResponseStatus.FINAL,
            total__isnull=False,
        )
        .order_by("code", "patient_id", "effective_at", "id")
        .values_list("code", "patient_id", "effective_at", "total")
    )
    series: dict[str, dict[UUID, Series]] = defaultdict(dict)
    last_key: tuple[str, UUID] | None = None
    current: Series = []
    for code, patient_id, effective_at, total in rows.iterator(chunk_size=10_000):
        key = (code, patient_id)
        if key != last_key:
            current = []
            series[code][patient_id] = current
            last_key = key
        current.append((effective_at, float(total)))  # total__isnull=False above
    return dict(series)


def pending_links(*, membership: Membership) -> QuerySet[SelfReportLink]:
    """Self-report links sent and not yet answered, still valid."""
    if not membership.can(Perm.SCALE_RECORD):
        raise PermissionDenied
    return (
        SelfReportLink.objects.filter(
            clinic_id=membership.clinic_id, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("patient")
        .order_by("expires_at")
    )


def licensed_text(*, clinic_id: int, code: str) -> LicensedText | None:
    """The clinic's newest loaded wording of a licensed scale, or None."""
    row = LicensedScaleText.objects.filter(clinic_id=clinic_id, code=code).first()
    return None if row is None else parse_item_text(row.document)
