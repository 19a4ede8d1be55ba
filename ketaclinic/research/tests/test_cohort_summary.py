"""The cohort summary (research.summary) gives the live statements' figures, is rebuilt by an
hourly job that can run any number of times, and the page says how old its figures are."""

from __future__ import annotations

import datetime as dt
import importlib.util
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.ops import registry
from ketaclinic.research.analytics import Filters, cohort
from ketaclinic.research.models import CohortCourseFact, CohortOutcomeFact, CohortRefresh
from ketaclinic.research.summary import rebuild, refreshed_at, summary_cohort
from ketaclinic.research.summary_jobs import refresh_all

BENCH = Path(__file__).resolve().parents[3] / "bench" / "research_registry.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("research_registry_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(db: None) -> tuple[Any, ModuleType]:
    """A synthetic registry of 300 patients in three clinics (the benchmark's generator)."""
    bench = _bench()
    researcher, _ = bench.generate(300, seed=7)
    return researcher, bench


def test_summary_figures_equal_the_live_figures_on_a_generated_registry(
    generated: tuple[Any, ModuleType],
) -> None:
    researcher, bench = generated
    refresh_all()
    today = timezone.now().date()
    sets = [dict(given) for _, given in bench.FILTER_SETS] + [
        {"scale": "gad7"},
        {"protocol": "esketamine_trd", "age_band": "65-89"},
        {"indication": "trd", "sex": "female", "start_to": "-400"},
        {"scale": "madrs"},  # no responses on this scale: exposure only
    ]
    compared = 0
    for given in sets:
        for key in ("start_from", "start_to"):
            if given.get(key, "").startswith("-"):
                given[key] = today - dt.timedelta(days=int(given[key][1:]))
        f = Filters(**given)
        live = cohort(researcher, f, today)
        assert summary_cohort(researcher, f, today) == live, given
        compared += bool(live.by_session)
    assert compared >= 5  # the comparisons covered real response curves, not empty cohorts
    everyone = cohort(researcher, Filters(), today)
    assert everyone.patients > 200 and everyone.adverse_events > 0 and everyone.by_week


def test_the_hourly_job_is_registered_and_a_rerun_changes_nothing(
    generated: tuple[Any, ModuleType],
) -> None:
    researcher, _ = generated
    job = registry.get("cohort_summary")
    assert job.every == "hour" and job in registry.periodic()
    assert "Summary" in job.label or "summary" in job.label
    first = job.run(None)  # type: ignore[arg-type]
    counts = (CohortCourseFact.objects.count(), CohortOutcomeFact.objects.count())
    today = timezone.now().date()
    before = summary_cohort(researcher, Filters(), today)
    assert job.run(None) == first  # type: ignore[arg-type]
    assert (CohortCourseFact.objects.count(), CohortOutcomeFact.objects.count()) == counts
    assert summary_cohort(researcher, Filters(), today) == before
    assert CohortRefresh.objects.count() == 3  # one per clinic
    assert "patient" not in first.lower()  # counts only in the job's summary line


def test_the_page_shows_the_summary_time_and_new_records_after_a_rebuild(
    researcher: Any, registry: dict[str, Any], clinic_admin: Any, login: Any
) -> None:
    client = login(researcher)
    url = reverse("research:cohort")
    live = client.get(url, {"sex": "female"})
    assert live.context["as_of"] is None and "Figures computed now" in live.content.decode()
    at = dt.datetime(2026, 3, 1, 17, 5, tzinfo=dt.UTC)
    rebuild(clinic_admin.clinic_id, now=at)
    assert refreshed_at(clinic_admin.clinic_id) == at
    page = client.get(url, {"sex": "female"})
    assert page.context["as_of"] == at
    # 17:05 UTC is 12:05 in the clinic's zone (New York, standard time), as the page says.
    assert "Figures as of 2026-03-01 12:05 EST" in page.content.decode()
    assert replace(page.context["result"]) == live.context["result"]
