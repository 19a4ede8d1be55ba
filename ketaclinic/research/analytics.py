"""Cohort analytics for the researcher's page: aggregates only, never a row about one patient.

The database does the joins and picks, for each dosed session, the patient's last final score on
the outcome scale at or before the dose (a correlated subquery); numpy then groups those columns
(baseline = the score before the course's first dosed session, as in ``scales.outcomes``) by
session number and by week since the first dose. Response and remission follow the scale's own
rule (``ScaleDefinition.outcome_rule``, with its source). Adverse events per 100 dosed sessions and
exposure are counted by the database. Intervals: Wilson 95 % (``research.stats``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.research.stats import per_100, wilson
from ketaclinic.scales import get_definition
from ketaclinic.scales.models import ResponseStatus, ScaleResponse
from ketaclinic.treatment.models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    ProtocolVersion,
    TreatmentSession,
    parsed_protocol,
)

AGE_BANDS: dict[str, tuple[int, int]] = {
    "18-29": (18, 29), "30-44": (30, 44), "45-64": (45, 64), "65-89": (65, 89), "90+": (90, 200),
}  # fmt: skip
OUTCOME_SCALES = ("phq9", "madrs", "qids_sr16", "hamd17", "gad7", "pcl5")
MAX_POINTS = 24
#: Cells with fewer patients than this are not shown (small-cell suppression, as CMS's rule of 11).
MIN_CELL = 11


@dataclass(frozen=True)
class Filters:
    scale: str = "phq9"
    indication: str = ""
    protocol: str = ""
    drug: str = ""
    route: str = ""
    age_band: str = ""
    sex: str = ""
    start_from: date | None = None
    start_to: date | None = None


@dataclass(frozen=True)
class Point:
    label: int
    n: int
    responders: int
    remitters: int

    @property
    def suppressed(self) -> bool:
        return self.n < MIN_CELL

    def rate(self, k: int) -> tuple[float, float, float]:
        low, high = wilson(k, self.n)
        return k / self.n, low, high


@dataclass
class Cohort:
    patients: int = 0
    courses: int = 0
    dosed_sessions: int = 0
    by_session: list[Point] = field(default_factory=list)
    by_week: list[Point] = field(default_factory=list)
    adverse_events: int = 0
    ae_per_100: float | None = None
    ae_by_type: list[tuple[str, int, float | None]] = field(default_factory=list)
    mg_by_drug: list[tuple[str, float]] = field(default_factory=list)
    rule_source: str = ""


def filter_choices(membership: Membership) -> dict[str, list[str]]:
    versions = _versions(membership.clinic_id)
    indications = Course.objects.filter(clinic_id=membership.clinic_id).values_list(
        "indication", flat=True
    )
    return {
        "indication": sorted(set(indications)),
        "protocol": sorted({v[0] for v in versions.values()}),
        "drug": sorted({v[1] for v in versions.values()}),
        "route": sorted({v[2] for v in versions.values()}),
    }


def _versions(clinic_id: int) -> dict[int, tuple[str, str, str]]:
    found = {}
    for pk, data in ProtocolVersion.objects.filter(family__clinic_id=clinic_id).values_list(
        "pk", "data"
    ):
        protocol = parsed_protocol(data)
        found[pk] = (protocol.code, str(protocol.drug), str(protocol.route))
    return found


def _courses(membership: Membership, f: Filters, today: date) -> QuerySet[Course]:
    courses = Course.objects.filter(clinic_id=membership.clinic_id)
    versions = _versions(membership.clinic_id)
    for position, wanted in enumerate((f.protocol, f.drug, f.route)):
        if wanted:
            ids = [pk for pk, facts in versions.items() if facts[position] == wanted]
            courses = courses.filter(protocol_version_id__in=ids)
    if f.indication:
        courses = courses.filter(indication=f.indication)
    if f.sex:
        courses = courses.filter(patient__sex=f.sex)
    if f.age_band in AGE_BANDS:  # age today, in whole years
        youngest, oldest = AGE_BANDS[f.age_band]
        born_after = date(today.year - oldest - 1, today.month, min(today.day, 28))
        born_before = date(today.year - youngest, today.month, min(today.day, 28))
        courses = courses.filter(
            patient__date_of_birth__gt=born_after, patient__date_of_birth__lte=born_before
        )
    if f.start_from:
        courses = courses.filter(start_date__gte=f.start_from)
    if f.start_to:
        courses = courses.filter(start_date__lte=f.start_to)
    return courses


def _points(labels: np.ndarray, ok: np.ndarray, resp: np.ndarray, rem: np.ndarray) -> list[Point]:
    labels = labels[ok]
    if labels.size == 0:
        return []
    n = np.bincount(labels)
    r = np.bincount(labels, weights=resp[ok])
    m = np.bincount(labels, weights=rem[ok])
    return [
        Point(int(i), int(n[i]), int(r[i]), int(m[i]))
        for i in range(min(len(n), MAX_POINTS + 1))
        if n[i] and i > 0
    ]


def cohort(membership: Membership, f: Filters, today: date) -> Cohort:
    """The cohort's aggregates; ``membership`` must hold RESEARCH_VIEW (checked by the caller)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionError("research.view")
    definition = get_definition(f.scale)
    rule = definition.outcome_rule
    courses = _courses(membership, f, today)
    sessions = TreatmentSession.objects.filter(course__in=courses, dose_started_at__isnull=False)
    result = Cohort(rule_source=rule.source)
    totals = courses.aggregate(patients=Count("patient_id", distinct=True), courses=Count("id"))
    result.patients, result.courses = totals["patients"], totals["courses"]
    result.dosed_sessions = sessions.count()
    pre = (
        ScaleResponse.objects.filter(
            patient_id=OuterRef("patient_id"),
            code=f.scale,
            status=ResponseStatus.FINAL,
            total__isnull=False,
            effective_at__lte=OuterRef("dose_started_at"),
        )
        .order_by("-effective_at", "-id")
        .values("total")[:1]
    )
    rows = list(
        sessions.annotate(pre=Subquery(pre))
        .order_by("course_id", "number")
        .values_list("course_id", "number", "dose_started_at", "pre")
    )
    if rows:
        _outcomes(result, rows, rule)
    events = AdverseEvent.objects.filter(session__in=sessions)
    result.adverse_events = events.count()
    result.ae_per_100 = per_100(result.adverse_events, result.dosed_sessions)
    result.ae_by_type = [
        (kind, count, per_100(count, result.dosed_sessions))
        for kind, count in events.values("event_type")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("event_type", "n")
    ]
    versions = _versions(membership.clinic_id)
    by_version = (
        DoseAdministration.objects.filter(session__in=sessions)
        .values("session__protocol_version_id")
        .annotate(mg=Sum("dose_mg"))
        .values_list("session__protocol_version_id", "mg")
    )
    mg: dict[str, float] = {}
    for version, amount in by_version:  # one row per protocol version, not per dose
        drug = versions[version][1]
        mg[drug] = mg.get(drug, 0.0) + float(amount or 0)
    result.mg_by_drug = sorted(mg.items())
    return result


def _outcomes(result: Cohort, rows: list[tuple[Any, ...]], rule: Any) -> None:
    course = np.array([r[0] for r in rows])
    number = np.array([r[1] for r in rows], dtype=np.int64)
    dosed = np.array([r[2].timestamp() for r in rows], dtype=np.float64)
    pre = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64)
    # Rows are ordered by course then number: each course's first row is its first dosed session.
    _, first, inverse = np.unique(course, return_index=True, return_inverse=True)
    baseline = pre[first][inverse]
    start = dosed[first][inverse]
    ok = ~np.isnan(baseline) & ~np.isnan(pre) & (number != number[first][inverse])
    with np.errstate(invalid="ignore", divide="ignore"):
        response = np.zeros(len(rows), dtype=bool)
        if rule.response_drop_percent is not None:
            drop = np.where(baseline > 0, (baseline - pre) / baseline * 100, -np.inf)
            response = drop >= rule.response_drop_percent
        if rule.response_at_or_below is not None:
            response = pre <= rule.response_at_or_below
        remission = (
            pre <= rule.remission_at_or_below
            if rule.remission_at_or_below is not None
            else np.zeros(len(rows), dtype=bool)
        )
    week = np.floor((dosed - start) / (7 * 86400)).astype(np.int64) + 1
    result.by_session = _points(number, ok, response.astype(float), remission.astype(float))
    result.by_week = _points(week, ok, response.astype(float), remission.astype(float))
