"""Reads of the scales app. Functions that take a membership return only that clinic's rows (another
clinic's object is a 404) and check the role; functions that take a patient trust that the caller
already fetched the patient through a selector (``patients.selectors.get_patient_for_user``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.patients.models import Patient
from ketaclinic.scales import CODES, get_scale
from ketaclinic.scales.chart import Chart, trajectory
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


def final_responses_since(
    *, patient_ids: Iterable[UUID], codes: Iterable[str], since: datetime
) -> list[ScaleResponse]:
    """For the treatment issue's chair board: the final (not amended) responses of several
    patients to ``codes`` since ``since``, newest first per code (as ``latest_responses`` reads
    them), in one query."""
    wanted = list(dict.fromkeys(codes))
    patients = set(patient_ids)
    if not wanted or not patients:
        return []
    return list(
        ScaleResponse.objects.filter(
            patient_id__in=patients,
            code__in=wanted,
            status=ResponseStatus.FINAL,
            effective_at__gte=since,
        ).order_by("code", "-effective_at", "-id")
    )


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
    note_read(response, response.patient_id)
    return response


def clinic_outcome_series(*, clinic_id: int, codes: Iterable[str]) -> dict[str, dict[UUID, Series]]:
    """For outcomes: per code, per patient, the (effective_at, total) series of final scored
    responses in time order (ties by id).

    On PostgreSQL the rows are grouped into one array pair per patient inside the database (about 5x
    faster for 200,000 rows than building a Python row per response, see docs/performance.md); other
    databases take the portable path. Both give the same result (tests compare them)."""
    wanted = list(dict.fromkeys(codes))
    if connection.vendor == "postgresql":
        return _outcome_series_postgresql(clinic_id, wanted)
    return _outcome_series_portable(clinic_id, wanted)


def _outcome_series_portable(clinic_id: int, codes: list[str]) -> dict[str, dict[UUID, Series]]:
    rows = (
        ScaleResponse.objects.filter(
            clinic_id=clinic_id,
            code__in=codes,
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
        if total is not None:  # always: total__isnull=False above
            current.append((effective_at, total))
    return dict(series)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SERIES_SQL = """
    SELECT code, patient_id,
           array_agg((extract(epoch FROM effective_at) * 1000000)::bigint ORDER BY effective_at, id),
           array_agg(total ORDER BY effective_at, id)
    FROM scales_scaleresponse
    WHERE clinic_id = %s AND code = ANY(%s) AND status = %s AND total IS NOT NULL
    GROUP BY code, patient_id
"""


def _outcome_series_postgresql(clinic_id: int, codes: list[str]) -> dict[str, dict[UUID, Series]]:
    series: dict[str, dict[UUID, Series]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_SERIES_SQL, [clinic_id, codes, ResponseStatus.FINAL.value])
        for code, patient_id, micros, totals in cursor.fetchall():
            series[code][patient_id] = [
                (_EPOCH + timedelta(microseconds=m), t) for m, t in zip(micros, totals, strict=True)
            ]
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


@dataclass(frozen=True)
class TrajectoryRow:
    response: ScaleResponse
    percent_change: float | None
    marker: str  # "baseline", "remission", "response" or ""


@dataclass(frozen=True)
class Trajectory:
    """One scale on a patient's chart: the final scored responses in time order and the outcome of
    the latest against the baseline (the first response)."""

    code: str
    name: str
    rows: list[TrajectoryRow]
    chart: Chart
    percent_change: float | None
    response: bool
    remission: bool
    remission_rule: str

    @property
    def baseline(self) -> ScaleResponse:
        return self.rows[0].response

    @property
    def latest(self) -> ScaleResponse:
        return self.rows[-1].response

    @property
    def newest_first(self) -> list[TrajectoryRow]:
        return self.rows[::-1]


def patient_trajectories(
    *,
    membership: Membership,
    patient: Patient,
    session_times: Sequence[datetime] | None = None,
    limit_per_scale: int = 500,
) -> list[Trajectory]:
    """The 'Rating scales' section of the chart. ``session_times``: the hook for the treatment
    issue; each time becomes a marker on the time axis of every trajectory."""
    if patient.clinic_id != membership.clinic_id or not membership.can(Perm.PATIENT_VIEW):
        return []
    by_code: dict[str, list[ScaleResponse]] = defaultdict(list)
    responses = ScaleResponse.objects.filter(
        patient=patient, status=ResponseStatus.FINAL, total__isnull=False
    ).order_by("code", "effective_at", "id")
    for response in responses:
        by_code[response.code].append(response)
    tz = membership.clinic.tzinfo
    found: list[Trajectory] = []
    for code in CODES:  # the registry's order
        series = by_code.get(code, [])[-limit_per_scale:]
        if not series:
            continue
        scale = get_scale(code)
        definition = scale.definition
        baseline = series[0].total or 0.0  # total__isnull=False above
        rows: list[TrajectoryRow] = []
        last = None
        for index, response in enumerate(series):
            if index == 0 or response.total is None:
                rows.append(TrajectoryRow(response, None, "baseline"))
                continue
            last = scale.outcome(baseline, response.total)
            marker = "remission" if last.remission else "response" if last.response else ""
            rows.append(TrajectoryRow(response, last.percent_change, marker))
        rule = definition.outcome_rule
        chart = trajectory(
            [
                (
                    r.response.effective_at,
                    float(r.response.total or 0),
                    r.marker,
                    bool(r.response.flags),
                )
                for r in rows
            ],
            min_total=float(definition.min_total),
            max_total=float(definition.max_total),
            tz=tz,
            remission_at_or_below=rule.remission_at_or_below,
            session_times=session_times,
        )
        remission_rule = rule.summary  # response and remission rules in words
        found.append(
            Trajectory(
                code=code,
                name=definition.name,
                rows=rows,
                chart=chart,
                percent_change=last.percent_change if last else None,
                response=bool(last and last.response),
                remission=bool(last and last.remission),
                remission_rule=remission_rule,
            )
        )
    return found


def loaded_texts(*, clinic_id: int) -> list[LicensedScaleText]:
    """The clinic's licensed texts, newest first (all loads, for the admin page)."""
    return list(
        LicensedScaleText.objects.filter(clinic_id=clinic_id).select_related("loaded_by")[:100]
    )


def patient_chart_context(
    *, membership: Membership, patient: Patient, session_times: Sequence[datetime] | None = None
) -> dict[str, object]:
    """What ``templates/scales/_patient_section.html`` needs on the patient chart. Totals, bands
    and trajectories are clinical: only for those who record scales (SCALE_RECORD); the front
    desk and the clinic admin see that the section is withheld (issue 10, finding 10)."""
    clinical = membership.can(Perm.SCALE_RECORD)
    return {
        "scale_trajectories": patient_trajectories(
            membership=membership, patient=patient, session_times=session_times
        )
        if clinical
        else [],
        "scales_withheld": not clinical,
        "can_record_scales": clinical,
    }
