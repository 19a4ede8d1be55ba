"""The cohort page: researchers and clinic admins only, aggregates only; the outcome arithmetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.research.analytics import Cohort, _outcomes
from ketaclinic.scales import get_definition

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


def _rows(courses: int, totals: list[float | None]) -> list[tuple[Any, ...]]:
    """Each course: sessions 1..len(totals), twice a week, with these pre-dose scores."""
    rows = []
    for c in range(courses):
        for i, total in enumerate(totals):
            rows.append((c, i + 1, T0 + dt.timedelta(days=3.5 * i), total))
    return rows


def test_response_and_remission_follow_the_phq9_rule_by_session_and_week() -> None:
    rule = get_definition("phq9").outcome_rule
    result = Cohort()
    # Baseline 20; session 2: 12 (no response), 3: 10 (response: 50 % fall), 4: 4 (remission).
    _outcomes(result, _rows(12, [20, 12, 10, 4]), rule)
    by_session = {p.label: (p.n, p.responders, p.remitters) for p in result.by_session}
    assert by_session == {2: (12, 0, 0), 3: (12, 12, 0), 4: (12, 12, 12)}
    by_week = {p.label: (p.n, p.responders, p.remitters) for p in result.by_week}
    assert by_week == {1: (12, 0, 0), 2: (24, 24, 12)}  # days 3.5 | 7 and 10.5


def test_a_course_without_baseline_counts_nowhere_and_a_missing_score_is_not_a_zero() -> None:
    rule = get_definition("phq9").outcome_rule
    result = Cohort()
    _outcomes(result, [*_rows(3, [None, 2, 2]), (99, 1, T0, 20.0), (99, 2, T0, None)], rule)
    assert result.by_session == [] and result.by_week == []


def test_the_researcher_sees_the_cohort_page_and_no_patient(
    researcher: Any, registry: dict[str, Any], login: Any
) -> None:
    client = login(researcher)
    page = client.get(reverse("research:cohort"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cohort analytics" in text and "Dosed sessions" in text
    for identifier in ("Zebulonia", "Quixotely", "MRN-7771234", str(registry["old"].pk)):
        assert identifier not in text
    assert client.get(reverse("patients:detail", args=[registry["old"].pk])).status_code in {
        403,
        404,
    }
    home = client.get(reverse("home")).content.decode()
    assert reverse("research:cohort") in home


def test_filters_narrow_the_cohort_and_a_bad_period_is_named(
    clinic_admin: Any, registry: dict[str, Any], login: Any
) -> None:
    client = login(clinic_admin)
    everything = client.get(reverse("research:cohort")).context["result"]
    assert everything.patients == 1 and everything.dosed_sessions == 1
    assert everything.adverse_events == 1 and everything.ae_per_100 == 100.0
    assert everything.mg_by_drug == [("esketamine", 56.0)]
    esk = client.get(reverse("research:cohort"), {"drug": "esketamine"}).context["result"]
    assert esk.patients == 1
    unknown = client.get(reverse("research:cohort"), {"drug": "racemic_ketamine"})
    assert unknown.context["result"] is None  # not a drug of this clinic's protocols
    assert "Select a valid choice" in unknown.content.decode()
    male = client.get(reverse("research:cohort"), {"sex": "male"}).context["result"]
    assert male.patients == 0
    old = client.get(reverse("research:cohort"), {"age_band": "90+"}).context["result"]
    assert old.patients == 1
    bad = client.get(
        reverse("research:cohort"), {"start_from": "2025-02-01", "start_to": "2025-01-01"}
    )
    assert bad.status_code == 200 and bad.context["result"] is None
    assert "before its start" in bad.content.decode()


@pytest.mark.parametrize("persona", ["prescriber", "nurse", "front_desk", "inventory_manager"])
def test_clinical_and_stock_roles_do_not_reach_the_research_page(
    persona: str, request: pytest.FixtureRequest, login: Any
) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("research:cohort")).status_code == 403
