"""The cohort page: researchers and clinic admins only, aggregates only (figures:
test_cohort_figures.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.research.summary import rebuild


@pytest.fixture(params=["live", "summary"])
def figures_from(
    request: pytest.FixtureRequest, registry: dict[str, Any], clinic_admin: Any
) -> str:
    """Each test below runs on the live statements and on the clinic's summary."""
    if request.param == "summary":
        rebuild(clinic_admin.clinic_id)
    return str(request.param)


def test_the_researcher_sees_the_cohort_page_and_no_patient(
    researcher: Any, registry: dict[str, Any], figures_from: str, login: Any
) -> None:
    client = login(researcher)
    page = client.get(reverse("research:cohort"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cohort analytics" in text and "Fewer than 11 patients match" in text
    for identifier in ("Zebulonia", "Quixotely", "MRN-7771234", str(registry["old"].pk)):
        assert identifier not in text
    assert client.get(reverse("patients:detail", args=[registry["old"].pk])).status_code in {
        403,
        404,
    }
    home = client.get(reverse("home")).content.decode()
    assert reverse("research:cohort") in home


def test_filters_narrow_the_cohort_and_a_bad_period_is_named(
    clinic_admin: Any, registry: dict[str, Any], figures_from: str, login: Any
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
