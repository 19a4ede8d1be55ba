"""Writes of the scales app: responses, corrections, self-report links, licensed item text.

Each service validates, saves, raises any safety alert and writes its audit event in one transaction.
Scoring is the pure library's (``ketaclinic.scales.score``); a ``ScaleInputError`` becomes a
``ValidationError`` keyed by the item's form field (``item_<id>``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import AlertKind, AlertSource, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.lib.ratelimit import window_hit
from ketaclinic.patients.models import Patient
from ketaclinic.scales import ScaleInputError, get_definition, score
from ketaclinic.scales.models import (
    LicensedScaleText,
    ResponseSource,
    ResponseStatus,
    ScaleResponse,
    SelfReportLink,
)
from ketaclinic.scales.review import review_alerts
from ketaclinic.scales.text import ItemTextError, parse_item_text

SELF_REPORT_LIFETIME = timedelta(hours=72)
SELF_REPORT_CODES = ("phq9", "gad7", "pcl5", "nrs_pain", "qids_sr16", "bpi_sf")
# Public page rate limits: requests per client IP per window, and form posts per link.
PUBLIC_WINDOW = timedelta(minutes=10)
PUBLIC_LIMIT_PER_IP = 60
SUBMIT_LIMIT_PER_LINK = 20
SOURCE_TYPE = AlertSource.SCALE_RESPONSE

_ITEM_IN_MESSAGE = re.compile(r"^\S+ item (\S+):")


def self_report_codes(*, clinic_id: int) -> list[str]:
    """Patient-rated scales a link may ask for: free ones, and licensed ones whose wording the
    clinic has loaded (a patient cannot answer "Item 3" without its text)."""
    loaded = set(
        LicensedScaleText.objects.filter(clinic_id=clinic_id).values_list("code", flat=True)
    )
    return [
        code
        for code in SELF_REPORT_CODES
        if get_definition(code).licence == "free" or code in loaded
    ]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _scale_error(code: str, error: ScaleInputError) -> ValidationError:
    match = _ITEM_IN_MESSAGE.match(str(error))
    if match:
        return ValidationError({f"item_{match.group(1)}": str(error)})
    return ValidationError({"answers": f"{get_definition(code).name}: {error}"})


def _effective_problem(effective_at: datetime) -> str | None:
    if timezone.is_naive(effective_at):
        return "The time the answers refer to must include a time zone."
    if effective_at > timezone.now() + timedelta(minutes=5):
        return "The time the answers refer to cannot be in the future."
    return None


def _create(
    *,
    patient: Patient,
    code: str,
    answers: Sequence[int | None],
    effective_at: datetime,
    source: ResponseSource,
    recorded_by_id: int | None,
    amends: ScaleResponse | None = None,
    reason: str = "",
    link: SelfReportLink | None = None,
) -> ScaleResponse:
    try:
        definition = get_definition(code)
    except ScaleInputError as error:
        raise ValidationError({"code": str(error)}) from None
    answers = list(answers)
    try:
        result = score(code, answers)
    except ScaleInputError as error:
        raise _scale_error(code, error) from None
    problem = _effective_problem(effective_at)
    if problem:
        raise ValidationError({"effective_at": problem})
    return ScaleResponse.objects.create(
        patient=patient,
        clinic_id=patient.clinic_id,
        code=code,
        scale_version=definition.version,
        answers=answers,
        total=result.total,
        band=result.band or "",
        subscores=dict(result.subscores),
        flags=list(result.flags),
        effective_at=effective_at,
        recorded_at=timezone.now(),
        recorded_by_id=recorded_by_id,
        source=str(source),
        status=ResponseStatus.FINAL,
        amends=amends,
        amend_reason=reason,
        self_report_link=link,
    )


def _raise_alerts(*, by: Membership | None, response: ScaleResponse) -> None:
    """One alert per scale response, however many items or flags fire: the most severe rule's
    kind and severity, every flag named in the detail (idempotent per response)."""
    chosen = review_alerts(response.flags)
    if not chosen:
        return
    rank = {"info": 0, "warning": 1, "critical": 2}
    rule = max((r for r, _ in chosen), key=lambda r: rank.get(r.severity, 0))
    flags = [f for _, raised in chosen for f in raised]
    definition = get_definition(response.code)
    alert_raise(
        by=by,
        clinic_id=response.clinic_id,
        kind=AlertKind(rule.kind),
        severity=Severity(rule.severity),
        title=f"{rule.title} ({_short_name(definition.name)})",
        patient=response.patient,
        detail=(
            f"{_short_name(definition.name)} recorded "
            f"{response.effective_at.astimezone(response.clinic.tzinfo):%Y-%m-%d %H:%M %Z}"
            f"{' by self-report' if response.source == ResponseSource.SELF_REPORT else ''}; "
            f"flags: {', '.join(flags)}."
        ),
        source_type=SOURCE_TYPE,
        source_id=str(response.pk),
    )


def _short_name(name: str) -> str:
    """'Patient Health Questionnaire-9 (PHQ-9)' -> 'PHQ-9'."""
    match = re.search(r"\(([^()]+)\)$", name)
    return match.group(1) if match else name


def _check_member(by: Membership, patient: Patient) -> None:
    if patient.clinic_id != by.clinic_id:
        raise PermissionDenied
    if not by.can(Perm.SCALE_RECORD):
        raise PermissionDenied


@transaction.atomic
def scale_response_record(
    *,
    by: Membership,
    patient: Patient,
    code: str,
    answers: Sequence[int | None],
    effective_at: datetime,
) -> ScaleResponse:
    """Record a scale entered by staff in clinic; raise alerts for flags that need review."""
    _check_member(by, patient)
    response = _create(
        patient=patient,
        code=code,
        answers=answers,
        effective_at=effective_at,
        source=ResponseSource.CLINIC,
        recorded_by_id=by.user_id,
    )
    audit_record(
        event_type=EventType.SCALE_RESPONSE_RECORDED,
        actor=by,
        obj=response,
        patient_id=patient.pk,
        extra={"code": code, "total": response.total, "flags": response.flags},
    )
    _raise_alerts(by=by, response=response)
    return response


@transaction.atomic
def scale_response_amend(
    *,
    by: Membership,
    response: ScaleResponse,
    answers: Sequence[int | None],
    reason: str,
    effective_at: datetime | None = None,
) -> ScaleResponse:
    """Correct a response: a new version with the reason; the old one is kept, marked amended."""
    _check_member(by, response.patient)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this response is being corrected."})
    locked = ScaleResponse.objects.select_for_update().get(pk=response.pk, clinic_id=by.clinic_id)
    if locked.status != ResponseStatus.FINAL:
        raise ValidationError(
            "This response has already been corrected; correct its newest version instead."
        )
    try:
        with transaction.atomic():
            new = _create(
                patient=locked.patient,
                code=locked.code,
                answers=answers,
                effective_at=effective_at or locked.effective_at,
                source=ResponseSource.CLINIC,
                recorded_by_id=by.user_id,
                amends=locked,
                reason=reason.strip(),
            )
    except IntegrityError:  # amended concurrently (one correction per version)
        raise ValidationError(
            "This response has already been corrected; correct its newest version instead."
        ) from None
    locked.status = ResponseStatus.AMENDED
    locked.save(update_fields=["status"])
    audit_record(
        event_type=EventType.SCALE_RESPONSE_AMENDED,
        actor=by,
        obj=new,
        patient_id=locked.patient_id,
        reason=reason.strip(),
        changes={
            "answers": (locked.answers, new.answers),
            "total": (locked.total, new.total),
            "effective_at": (locked.effective_at, new.effective_at),
        },
        extra={"amends": locked.pk},
    )
    _raise_alerts(by=by, response=new)
    return new


@transaction.atomic
def self_report_link_create(
    *, by: Membership, patient: Patient, codes: Sequence[str]
) -> tuple[SelfReportLink, str]:
    """A single-use link for ``patient``; returns the link and its raw token (shown once only)."""
    _check_member(by, patient)
    codes = list(dict.fromkeys(codes))
    if not codes:
        raise ValidationError({"codes": "Choose at least one questionnaire."})
    refused = [c for c in codes if c not in self_report_codes(clinic_id=patient.clinic_id)]
    if refused:
        raise ValidationError(
            {
                "codes": f"Not a self-report questionnaire here: {', '.join(refused)} "
                "(licensed questionnaires need the clinic's licensed wording first)."
            }
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = SelfReportLink.objects.create(
        token_hash=token_hash(token),
        patient=patient,
        clinic_id=patient.clinic_id,
        codes=codes,
        created_at=now,
        created_by_id=by.user_id,
        expires_at=now + SELF_REPORT_LIFETIME,
    )
    audit_record(
        event_type=EventType.SELF_REPORT_LINK_CREATED,
        actor=by,
        obj=link,
        patient_id=patient.pk,
        extra={"codes": codes, "expires_at": link.expires_at.isoformat()},
    )
    return link, token


class LinkUnavailableError(Exception):
    """The link is unknown, used or expired: the page says so without saying which."""


@transaction.atomic
def self_report_submit(
    *, link: SelfReportLink, answers: Mapping[str, Sequence[int | None]]
) -> list[ScaleResponse]:
    """Store a patient's answers once. The link is claimed by a conditional update that must change
    exactly one row, so a second (or concurrent) submission stores nothing."""
    now = timezone.now()
    missing = [code for code in link.codes if code not in answers]
    if missing:
        raise ValidationError({"answers": f"Answers missing for {', '.join(missing)}."})
    claimed = SelfReportLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if claimed != 1:
        raise LinkUnavailableError
    link.used_at = now
    patient = Patient.objects.get(pk=link.patient_id)
    responses = []
    for code in link.codes:
        response = _create(
            patient=patient,
            code=code,
            answers=answers[code],
            effective_at=now,
            source=ResponseSource.SELF_REPORT,
            recorded_by_id=None,
            link=link,
        )
        responses.append(response)
    for response in responses:
        audit_record(
            event_type=EventType.SELF_REPORT_SUBMITTED,
            clinic_id=link.clinic_id,
            username="self-report",
            obj=response,
            patient_id=patient.pk,
            extra={"link": link.pk, "code": response.code, "flags": response.flags},
        )
        _raise_alerts(by=None, response=response)
    return responses


def self_report_attempt(*, link: SelfReportLink) -> bool:
    """Count one form post through ``link``; False when the per-link limit is reached."""
    with transaction.atomic():
        SelfReportLink.objects.filter(pk=link.pk).update(attempt_count=F("attempt_count") + 1)
        count = SelfReportLink.objects.values_list("attempt_count", flat=True).get(pk=link.pk)
    return count <= SUBMIT_LIMIT_PER_LINK


def public_request_allowed(*, client_ip: str | None) -> bool:
    """Count one request to the public page from this client; False past the per-window limit.
    The count is a row in the database (``lib.ratelimit``), shared by every process and server;
    the durable per-link limit (``self_report_attempt``) counts only posts through a real link."""
    with transaction.atomic(), connection.cursor() as cursor:
        return window_hit(
            cursor,
            scope="self-report",
            client=client_ip or "unknown",
            limit=PUBLIC_LIMIT_PER_IP,
            window_seconds=int(PUBLIC_WINDOW.total_seconds()),
            now=timezone.now(),
        )


@transaction.atomic
def scale_text_load(*, by: Membership | None, clinic: Clinic, data: Any) -> LicensedScaleText:
    """Load ``clinic``'s licensed item text. ``by``: a clinic admin of that clinic, or None for the
    operator at the console (``ketaclinic scales load-text``). ``data``: JSON text, bytes or mapping.
    """
    if by is not None and (by.clinic_id != clinic.pk or not by.can(Perm.CLINIC_MANAGE)):
        raise PermissionDenied
    try:
        parsed = parse_item_text(data)
    except ItemTextError as error:
        raise ValidationError({"file": str(error)}) from None
    document: dict[str, Any] = {
        "scale": parsed.scale,
        "version": parsed.version,
        "language": parsed.language,
        "title": parsed.title,
        "instructions": parsed.instructions,
        "copyright": parsed.copyright,
        "licence_reference": parsed.licence_reference,
        "anchors": {str(k): v for k, v in parsed.anchors.items()},
        "items": [
            {"id": i.id, "text": i.text, "anchors": {str(k): v for k, v in i.anchors.items()}}
            for i in parsed.items
        ],
    }
    text = LicensedScaleText.objects.create(
        clinic=clinic,
        code=parsed.scale,
        version=parsed.version,
        language=parsed.language,
        document={k: v for k, v in document.items() if v is not None},
        loaded_at=timezone.now(),
        loaded_by_id=by.user_id if by else None,
    )
    audit_record(
        event_type=EventType.SCALE_TEXT_LOADED,
        actor=by,
        clinic_id=clinic.pk,
        username="" if by else "console",
        obj=text,
        extra={"code": parsed.scale, "version": parsed.version, "language": parsed.language},
    )
    return text
