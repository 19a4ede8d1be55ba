"""Cohort analytics for the researcher's page: aggregates only, never a row about one patient.

Everything is aggregated by the database in two statements (issue 13: "computed in the database,
not in Python loops"); Python receives at most a few dozen grouped rows and adds the intervals.

1. Outcomes. For each dosed session of the filtered courses, the patient's last final score on the
   outcome scale at or before the dose: sessions and responses are merged into one stream per
   patient ordered by time, and a running ``max`` over a packed (time, total) key carries the last
   score forward (one sort, one window pass; an "as-of" join without one index probe per
   session). Baseline: the score before the course's first dosed session (as in
   ``scales.outcomes``); week N counts the sessions dosed 7(N-1) to 7N days after it. Response and
   remission follow the scale's own rule (``ScaleDefinition.outcome_rule``, with its source), in
   SQL; then ``GROUP BY`` session number and week with ``FILTER`` counts.
2. Adverse events per 100 dosed sessions by type, and exposure (patients, sessions and mg by drug).

Intervals: Wilson 95 % from the grouped counts (``research.stats``, pure).

Small cells: a row describing fewer than ``MIN_CELL`` patients is not shown. CMS's cell-size
suppression policy forbids publishing any cell of 1 to 10 beneficiaries (CMS, "Cell Size
Suppression Policy", 2020); a small group can point at one person even without an identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.labels import label
from ketaclinic.research.stats import per_100, wilson
from ketaclinic.scales import get_definition
from ketaclinic.treatment.models import (
    AdverseEventType,
    Course,
    ProtocolVersion,
    parsed_protocol,
)
from ketaclinic.treatment.selectors.outcomes import INDICATION_LABELS

AGE_BANDS: dict[str, tuple[int, int]] = {
    "18-29": (18, 29), "30-44": (30, 44), "45-64": (45, 64), "65-89": (65, 89), "90+": (90, 200),
}  # fmt: skip
OUTCOME_SCALES = ("phq9", "madrs", "qids_sr16", "hamd17", "gad7", "pcl5")
MAX_POINTS = 24
#: Cells with fewer patients than this are not shown (small-cell suppression, CMS's rule of 11).
MIN_CELL = 11
# Packed key of a score: whole seconds since 1875 (always positive) x 10^5 + the total in tenths
# (totals of the outcome scales are whole numbers, at most 80: kept exactly).
_PACK = 100_000
_EPOCH_SHIFT = 3_000_000_000
#: PostgreSQL memory per sort or hash of the two statements (the default 4MB spills the as-of sort
#: of a large clinic to disk).
WORK_MEM = "256MB"


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
    n: int  # sessions (by session number: one per patient's course)
    responders: int
    remitters: int
    patients: int = 0

    @property
    def suppressed(self) -> bool:
        return min(self.n, self.patients or self.n) < MIN_CELL

    def rate(self, k: int) -> tuple[float, float, float]:
        low, high = wilson(k, self.n)
        return k / self.n, low, high


@dataclass(frozen=True)
class Exposure:
    drug: str
    patients: int
    sessions: int
    mg: float

    @property
    def suppressed(self) -> bool:
        return self.patients < MIN_CELL

    @property
    def drug_words(self) -> str:
        return label(self.drug)

    @property
    def sessions_per_patient(self) -> float:
        return self.sessions / self.patients

    @property
    def mg_per_patient(self) -> float:
        return self.mg / self.patients


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
    exposure: list[Exposure] = field(default_factory=list)
    rule_source: str = ""
    rule_summary: str = ""

    @property
    def suppressed(self) -> bool:
        """The whole cohort is too small to show anything but that."""
        return self.patients < MIN_CELL

    @property
    def ae_rows(self) -> list[tuple[str, int, float | None]]:
        """(the event in words, count, per 100 sessions) for the page."""
        words = dict(AdverseEventType.choices)
        return [(words.get(kind, label(kind)), n, rate) for kind, n, rate in self.ae_by_type]

    @property
    def mg_by_drug(self) -> list[tuple[str, float]]:
        return [(e.drug, e.mg) for e in self.exposure]


def filter_choices(membership: Membership) -> dict[str, list[tuple[str, str]]]:
    """(value, words) of each filter: the clinic's indications, protocols, drugs and routes."""
    versions = versions_of(membership.clinic_id)
    indications = (
        Course.objects.filter(clinic_id=membership.clinic_id)
        .order_by()
        .values_list("indication", flat=True)
        .distinct()
    )
    titles = dict(
        ProtocolVersion.objects.filter(family__clinic_id=membership.clinic_id).values_list(
            "family__code", "family__title"
        )
    )

    def pairs(values: set[str], words: Any) -> list[tuple[str, str]]:
        return sorted(((v, words(v)) for v in values), key=lambda pair: pair[1])

    return {
        "indication": pairs(set(indications), lambda v: INDICATION_LABELS.get(v) or label(v)),
        "protocol": pairs({v[0] for v in versions.values()}, lambda v: titles.get(v) or label(v)),
        "drug": pairs({v[1] for v in versions.values()}, label),
        "route": pairs({v[2] for v in versions.values()}, label),
    }


def versions_of(clinic_id: int) -> dict[int, tuple[str, str, str]]:
    """Protocol version id -> (protocol code, drug, route) of the clinic's protocols."""
    found = {}
    for pk, code, data in ProtocolVersion.objects.filter(family__clinic_id=clinic_id).values_list(
        "pk", "family__code", "data"
    ):
        protocol = parsed_protocol(data)
        found[pk] = (code, str(protocol.drug), str(protocol.route))
    return found


def _courses(
    membership: Membership, f: Filters, today: date, versions: dict[int, tuple[str, str, str]]
) -> QuerySet[Course]:
    courses = Course.objects.filter(clinic_id=membership.clinic_id)
    return filtered(courses, f, today, versions, patient="patient__")


def filtered(
    rows: QuerySet[Any],
    f: Filters,
    today: date,
    versions: dict[int, tuple[str, str, str]],
    patient: str = "",
) -> QuerySet[Any]:
    """``rows`` (courses, or the summary's facts) of the courses matching ``f``; ``patient`` is
    the path to the patient's ``sex`` and ``date_of_birth``."""
    for position, wanted in enumerate((f.protocol, f.drug, f.route)):
        if wanted:
            ids = [pk for pk, facts in versions.items() if facts[position] == wanted]
            rows = rows.filter(protocol_version_id__in=ids)
    if f.indication:
        rows = rows.filter(indication=f.indication)
    if f.sex:
        rows = rows.filter(**{f"{patient}sex": f.sex})
    if f.age_band in AGE_BANDS:  # age today, in whole years
        youngest, oldest = AGE_BANDS[f.age_band]
        born_after = _years_before(today, oldest + 1)
        born_before = _years_before(today, youngest)
        rows = rows.filter(
            **{
                f"{patient}date_of_birth__gt": born_after,
                f"{patient}date_of_birth__lte": born_before,
            }
        )
    if f.start_from:
        rows = rows.filter(start_date__gte=f.start_from)
    if f.start_to:
        rows = rows.filter(start_date__lte=f.start_to)
    return rows.order_by()


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February -> 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _sql(pg: bool) -> dict[str, str]:
    """The few expressions PostgreSQL and SQLite spell differently."""
    if pg:
        return {"epoch": "date_part('epoch', {})", "int": "floor({})::bigint"}
    return {"epoch": "((julianday({}) - 2440587.5) * 86400.0)", "int": "CAST({} AS INTEGER)"}


def _outcome_sql(courses_sql: str, rule: Any, pg: bool) -> tuple[str, list[Any]]:
    scored, params = scored_sql(courses_sql, rule, pg)
    query = f"""{scored}
SELECT 0, number, count(*), sum(responded), sum(remitted), count(DISTINCT patient_id)
FROM scored WHERE number <= {MAX_POINTS} GROUP BY number
UNION ALL
SELECT 1, week, count(*), sum(responded), sum(remitted), count(DISTINCT patient_id)
FROM scored WHERE week <= {MAX_POINTS} GROUP BY week
"""  # noqa: S608
    return query, params


def scored_sql(courses_sql: str, rule: Any, pg: bool) -> tuple[str, list[Any]]:
    """``WITH ... scored AS (...)``: one row per dosed session after its course's first, with
    (number, course_id, patient_id, week, responded, remitted). Parameters: the courses', then
    the clinic id and scale code, then the rule's (returned). Shared by the live page and the
    summary rebuild (``research.summary``), so both give the same figures by construction."""
    d = _sql(pg)
    epoch, to_int = d["epoch"].format, d["int"].format
    params: list[Any] = []
    change = "(b.baseline - p.pre)"
    response = "FALSE"  # the precedence of scoring.base.compute_outcome
    if rule.response_drop_percent is not None:
        response = f"(b.baseline > 0 AND {change} * 100.0 >= %s * b.baseline)"
        params.append(float(rule.response_drop_percent))
    if rule.response_drop_points is not None:
        response = f"({change} >= %s)"
        params.append(float(rule.response_drop_points))
    if rule.response_at_or_below is not None:
        response, params = "(p.pre <= %s)", [float(rule.response_at_or_below)]
    remission = "FALSE"
    if rule.remission_at_or_below is not None:
        remission = "(p.pre <= %s)"
        params.append(float(rule.remission_at_or_below))
    packed = (
        f"{to_int(epoch('r.effective_at') + f' + {_EPOCH_SHIFT}')} * {_PACK} "
        f"+ {to_int('r.total * 10 + 0.5')}"
    )
    # Only constants, Django's own SQL for the course filter and the codes above go into the
    # text; every value the user chose is a parameter.
    query = f"""
WITH c(id, patient_id) AS MATERIALIZED ({courses_sql}),
stream AS (
  SELECT kind, patient_id, course_id, number, t,
         max(packed) OVER (PARTITION BY patient_id ORDER BY t, kind
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last
  FROM (
    SELECT s.patient_id, s.dose_started_at AS t, 1 AS kind, s.course_id, s.number,
           NULL AS packed
    FROM treatment_treatmentsession s JOIN c ON c.id = s.course_id
    WHERE s.dose_started_at IS NOT NULL
    UNION ALL
    SELECT r.patient_id, r.effective_at, 0, NULL, NULL, {packed}
    FROM scales_scaleresponse r
    WHERE r.clinic_id = %s AND r.code = %s AND r.status = 'final' AND r.total IS NOT NULL
      AND r.patient_id IN (SELECT patient_id FROM c)
  ) u
),
pre AS MATERIALIZED (
  SELECT patient_id, course_id, number, {epoch("t")} AS e, (last %% {_PACK}) / 10.0 AS pre
  FROM stream WHERE kind = 1
),
first AS (SELECT course_id, min(number) AS number FROM pre GROUP BY course_id),
base AS (
  SELECT p.course_id, p.number AS first_number, p.e AS start, p.pre AS baseline
  FROM pre p JOIN first f ON f.course_id = p.course_id AND f.number = p.number
),
scored AS (
  SELECT p.number, p.course_id, p.patient_id,
         {to_int("(p.e - b.start) / 604800.0")} + 1 AS week,
         CASE WHEN {response} THEN 1 ELSE 0 END AS responded,
         CASE WHEN {remission} THEN 1 ELSE 0 END AS remitted
  FROM pre p JOIN base b ON b.course_id = p.course_id
  WHERE p.number <> b.first_number AND p.pre IS NOT NULL AND b.baseline IS NOT NULL
)
"""  # noqa: S608
    return query, params


def _exposure_sql(courses_sql: str, drug_case: str) -> str:
    # As _outcome_sql: constants, Django's SQL and protocol version ids (integers) only.
    return f"""
WITH c(id, patient_id) AS MATERIALIZED ({courses_sql}),
s AS MATERIALIZED (
  SELECT s.id, s.patient_id, {drug_case} AS drug
  FROM treatment_treatmentsession s JOIN c ON c.id = s.course_id
  WHERE s.dose_started_at IS NOT NULL
),
per_patient AS (
  SELECT s.drug, s.patient_id, count(*) AS sessions, sum(d.dose_mg) AS mg
  FROM s LEFT JOIN treatment_doseadministration d ON d.session_id = s.id
  GROUP BY s.drug, s.patient_id
)
SELECT 0, drug, count(*), sum(sessions), sum(mg) FROM per_patient GROUP BY drug
UNION ALL
SELECT 1, a.event_type, count(*), NULL, NULL
FROM treatment_adverseevent a JOIN s ON s.id = a.session_id GROUP BY a.event_type
UNION ALL
SELECT 2, '', count(DISTINCT patient_id), count(*), NULL FROM c
"""  # noqa: S608


def cohort(membership: Membership, f: Filters, today: date) -> Cohort:
    """The cohort's aggregates; ``membership`` must hold RESEARCH_VIEW (checked by the caller)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionError("research.view")
    definition = get_definition(f.scale)
    rule = definition.outcome_rule
    pg = connection.vendor == "postgresql"
    versions = versions_of(membership.clinic_id)
    courses = _courses(membership, f, today, versions)
    courses_sql, courses_params = courses.values("id", "patient_id").query.sql_with_params()
    result = Cohort(rule_source=rule.source, rule_summary=rule.summary)
    drugs, case = drug_case(versions, "s.protocol_version_id")
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:  # for this transaction only: the as-of sort and hashes stay in memory, not on disk
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # Compiling these plans (JIT) costs seconds and saves less than it costs.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_exposure_sql(courses_sql, case), list(courses_params))
        fill_exposure(result, cursor.fetchall(), drugs)
        if result.dosed_sessions:
            query, rule_params = _outcome_sql(courses_sql, rule, pg)
            cursor.execute(
                query,
                [*courses_params, membership.clinic_id, f.scale, *rule_params],
            )
            fill_outcomes(result, cursor.fetchall())
    return result


def drug_case(versions: dict[int, tuple[str, str, str]], column: str) -> tuple[list[str], str]:
    """(the clinic's drugs, sorted; SQL giving the index in it of ``column``'s version's drug)."""
    drugs = sorted({facts[1] for facts in versions.values()})
    whens = " ".join(
        f"WHEN {pk} THEN '{drugs.index(facts[1])}'" for pk, facts in sorted(versions.items())
    )
    return drugs, (f"CASE {column} {whens} END" if whens else "NULL")


def fill_exposure(result: Cohort, rows: list[tuple[Any, ...]], drugs: list[str]) -> None:
    """Exposure, adverse events and counts from (kind, key, count, sessions, mg) rows: kind 0 a
    drug (its index in ``drugs``), 1 an adverse-event type, 2 the patients and courses."""
    ae: list[tuple[str, int]] = []
    for kind, key, count, sessions, mg in rows:
        if kind == 0 and key is not None:
            # Doses are recorded to the microgram: the sum rounded to 3 places is exact (SQLite
            # adds them as binary floats, in an order that depends on the plan).
            mg_sum = round(float(mg or 0), 3)
            result.exposure.append(Exposure(drugs[int(key)], int(count), int(sessions), mg_sum))
            result.dosed_sessions += int(sessions)
        elif kind == 1:
            ae.append((str(key), int(count)))
        elif kind == 2:
            result.patients, result.courses = int(count), int(sessions)
    result.adverse_events = sum(n for _, n in ae)
    result.ae_per_100 = per_100(result.adverse_events, result.dosed_sessions)
    result.ae_by_type = [
        (kind, n, per_100(n, result.dosed_sessions))
        for kind, n in sorted(ae, key=lambda item: (-item[1], item[0]))
    ]
    result.exposure.sort(key=lambda e: e.drug)


def fill_outcomes(result: Cohort, rows: list[tuple[Any, ...]]) -> None:
    """Points from (0 by session number | 1 by week, label, n, responders, remitters, patients)."""
    result.by_session = _points(rows, 0)
    result.by_week = _points(rows, 1)


def _points(rows: list[tuple[Any, ...]], kind: int) -> list[Point]:
    return sorted(
        (
            Point(int(label), int(n), int(resp or 0), int(rem or 0), int(people))
            for k, label, n, resp, rem, people in rows
            if k == kind and label is not None and 0 < label <= MAX_POINTS
        ),
        key=lambda p: p.label,
    )
