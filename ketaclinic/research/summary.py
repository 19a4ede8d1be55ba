"""The cohort summary: per-course and per-session facts the cohort page groups instead of
deriving them from millions of sessions, doses and scale responses at each view (issue 13).

``rebuild(clinic_id)`` recomputes one clinic's facts in the database (``INSERT ... SELECT``)
inside one transaction: delete the clinic's rows, insert the new ones, stamp ``CohortRefresh``;
a reader sees the old summary or the whole new one. The outcome facts come from
``analytics.scored_sql``, the very statement the live page runs, with all the clinic's courses;
the course facts from the same joins as ``analytics._exposure_sql``. Every filter of the page is
a property of a course (its protocol version, indication, start date, the patient's sex and date
of birth), copied onto each fact, so filtering facts selects exactly the rows the live statements
would have computed from the filtered courses, and the figures are the same by construction
(``tests/test_cohort_summary.py`` compares both on a generated registry).

Run by the hourly ``cohort_summary`` job (``summary_jobs``) and ``ketaclinic research refresh``.
Research figures need not be live to the second; the page says when they were computed.
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.research.analytics import (
    MAX_POINTS,
    OUTCOME_SCALES,
    WORK_MEM,
    Cohort,
    Filters,
    cohort,
    drug_case,
    fill_exposure,
    fill_outcomes,
    filtered,
    scored_sql,
    versions_of,
)
from ketaclinic.research.models import CohortCourseFact, CohortOutcomeFact, CohortRefresh
from ketaclinic.scales import get_definition

_DIMS = "protocol_version_id, indication, sex, date_of_birth, start_date"
_CO_DIMS = "co.protocol_version_id, co.indication, pa.sex, pa.date_of_birth, co.start_date"
_COURSES = "SELECT id, patient_id FROM treatment_course WHERE clinic_id = %s"


def _course_facts_sql() -> str:
    k = CohortCourseFact
    return f"""
INSERT INTO research_cohortcoursefact
  (clinic_id, course_id, patient_id, {_DIMS}, kind, session_version_id, event_type, n, mg)
SELECT co.clinic_id, co.id, f.patient_id, {_CO_DIMS}, f.kind, f.version, f.event, f.n, f.mg
FROM (
  SELECT c.id AS course_id, c.patient_id, {k.COURSE} AS kind, NULL AS version, '' AS event,
         0 AS n, NULL AS mg
  FROM treatment_course c WHERE c.clinic_id = %s
  UNION ALL
  SELECT s.course_id, s.patient_id, {k.EXPOSURE}, s.protocol_version_id, '', count(*),
         sum(d.dose_mg)
  FROM treatment_treatmentsession s JOIN treatment_course c ON c.id = s.course_id
  LEFT JOIN treatment_doseadministration d ON d.session_id = s.id
  WHERE c.clinic_id = %s AND s.dose_started_at IS NOT NULL
  GROUP BY s.course_id, s.patient_id, s.protocol_version_id
  UNION ALL
  SELECT s.course_id, s.patient_id, {k.EVENT}, NULL, a.event_type, count(*), NULL
  FROM treatment_adverseevent a JOIN treatment_treatmentsession s ON s.id = a.session_id
  JOIN treatment_course c ON c.id = s.course_id
  WHERE c.clinic_id = %s AND s.dose_started_at IS NOT NULL
  GROUP BY s.course_id, s.patient_id, a.event_type
) f
JOIN treatment_course co ON co.id = f.course_id
JOIN patients_patient pa ON pa.id = co.patient_id
"""  # noqa: S608  (constants only; the clinic id is a parameter)


def _outcome_facts_sql(rule: Any, pg: bool) -> tuple[str, list[Any]]:
    scored, params = scored_sql(_COURSES, rule, pg)
    query = f"""{scored}
INSERT INTO research_cohortoutcomefact
  (clinic_id, scale, course_id, patient_id, {_DIMS}, number, week, responded, remitted)
SELECT co.clinic_id, %s, co.id, s.patient_id, {_CO_DIMS}, s.number, s.week, s.responded,
       s.remitted
FROM scored s
JOIN treatment_course co ON co.id = s.course_id
JOIN patients_patient pa ON pa.id = co.patient_id
WHERE s.number <= {MAX_POINTS} OR s.week <= {MAX_POINTS}
"""  # noqa: S608  (as analytics: constants and the scale's rule; values are parameters)
    return query, params


def rebuild(clinic_id: int, now: dt.datetime | None = None) -> tuple[int, int]:
    """Recompute the clinic's summary atomically; (course facts, outcome facts) written."""
    pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        CohortCourseFact.objects.filter(clinic_id=clinic_id).delete()
        CohortOutcomeFact.objects.filter(clinic_id=clinic_id).delete()
        cursor.execute(_course_facts_sql(), [clinic_id] * 3)
        courses = cursor.rowcount
        outcomes = 0
        for code in OUTCOME_SCALES:
            query, rule_params = _outcome_facts_sql(get_definition(code).outcome_rule, pg)
            cursor.execute(query, [clinic_id, clinic_id, code, *rule_params, code])
            outcomes += max(cursor.rowcount, 0)
        CohortRefresh.objects.update_or_create(
            clinic_id=clinic_id, defaults={"refreshed_at": now or timezone.now()}
        )
    return courses, outcomes


def refreshed_at(clinic_id: int) -> dt.datetime | None:
    found = CohortRefresh.objects.filter(clinic_id=clinic_id).values_list("refreshed_at", flat=True)
    return next(iter(found), None)


def figures(membership: Membership, f: Filters, today: date) -> tuple[Cohort, dt.datetime | None]:
    """The cohort's aggregates and when they were computed: from the summary when the clinic has
    one, else live (``analytics.cohort``, time None)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionError("research.view")
    return figures_at(membership, f, today, refreshed_at(membership.clinic_id))


def figures_at(
    membership: Membership, f: Filters, today: date, at: dt.datetime | None
) -> tuple[Cohort, dt.datetime | None]:
    """As ``figures``, ``at`` being the clinic's ``refreshed_at`` read by the caller (the cohort
    page reads it with the pending refresh in one query: ``summary_refresh.summary_state``)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionError("research.view")
    if at is None:
        return cohort(membership, f, today), None
    return summary_cohort(membership, f, today), at


def summary_cohort(membership: Membership, f: Filters, today: date) -> Cohort:
    """As ``analytics.cohort``, from the clinic's summary (rebuilt first by the caller)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionError("research.view")
    rule = get_definition(f.scale).outcome_rule
    versions = versions_of(membership.clinic_id)
    result = Cohort(rule_source=rule.source, rule_summary=rule.summary)
    clinic = membership.clinic_id
    facts = filtered(CohortCourseFact.objects.filter(clinic_id=clinic), f, today, versions)
    facts_sql, facts_params = facts.values(
        "kind", "course_id", "patient_id", "session_version_id", "event_type", "n", "mg"
    ).query.sql_with_params()
    drugs, case = drug_case(versions, "f.session_version_id")
    k = CohortCourseFact
    query = f"""
WITH f AS MATERIALIZED ({facts_sql}),
per_patient AS (
  SELECT {case} AS drug, f.patient_id, sum(f.n) AS sessions, sum(f.mg) AS mg
  FROM f WHERE f.kind = {k.EXPOSURE} GROUP BY 1, f.patient_id
)
SELECT 0, drug, count(*), sum(sessions), sum(mg) FROM per_patient GROUP BY drug
UNION ALL
SELECT 1, event_type, sum(n), NULL, NULL FROM f WHERE kind = {k.EVENT} GROUP BY event_type
UNION ALL
SELECT 2, '', count(DISTINCT patient_id), count(*), NULL FROM f WHERE kind = {k.COURSE}
"""  # noqa: S608  (Django's SQL, constants and version ids only)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(query, list(facts_params))
        fill_exposure(result, cursor.fetchall(), drugs)
        if result.dosed_sessions:
            outcomes = filtered(
                CohortOutcomeFact.objects.filter(clinic_id=clinic, scale=f.scale),
                f,
                today,
                versions,
            )
            if connection.vendor == "postgresql":
                rows = _grouped_once(cursor, outcomes)
            else:
                rows = _grouped(outcomes)
            fill_outcomes(result, rows)
    return result


def _grouped(outcomes: Any) -> list[tuple[Any, ...]]:
    """(0 | 1, session number | week, n, responders, remitters, patients): two ``GROUP BY``."""
    rows: list[tuple[Any, ...]] = []
    for kind, key in ((0, "number"), (1, "week")):
        grouped = (
            outcomes.filter(**{f"{key}__lte": MAX_POINTS})
            .values(key)
            .annotate(
                n=Count("pk"),
                resp=Sum("responded"),
                rem=Sum("remitted"),
                people=Count("patient_id", distinct=True),
            )
            .values_list(key, "n", "resp", "rem", "people")
        )
        rows += [(kind, *row) for row in grouped]
    return rows


def _grouped_once(cursor: Any, outcomes: Any) -> list[tuple[Any, ...]]:
    """As ``_grouped`` in one scan of the facts (PostgreSQL's ``GROUPING SETS``: 40 % less time
    than two statements at registry scale). Labels over ``MAX_POINTS`` are dropped by the caller."""
    sql, params = outcomes.values(
        "number", "week", "patient_id", "responded", "remitted"
    ).query.sql_with_params()
    cursor.execute(
        f"""
SELECT GROUPING(o.number), CASE WHEN GROUPING(o.number) = 0 THEN o.number ELSE o.week END,
       count(*), sum(o.responded), sum(o.remitted), count(DISTINCT o.patient_id)
FROM ({sql}) o
GROUP BY GROUPING SETS ((o.number), (o.week))
""",  # noqa: S608  (Django's SQL; the values are parameters)
        list(params),
    )
    return [tuple(row) for row in cursor.fetchall()]
