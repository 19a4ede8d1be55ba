""" "Refresh now" on the cohort page: a researcher or clinic admin queues a rebuild of their own
clinic's summary (POST, CSRF, role-checked); while one is queued or running the page says so and
another is refused; the worker's run brings the "as of" time forward."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import execute
from ketaclinic.research.models import CohortRefresh
from ketaclinic.research.summary import rebuild
from ketaclinic.research.summary_refresh import REFRESH_JOB

pytestmark = pytest.mark.django_db

PAGE = "/research/"
REFRESH = "/research/refresh/"


def test_a_researcher_queues_one_refresh_and_the_page_says_it_is_queued(
    researcher: Any, login: Any
) -> None:
    rebuild(researcher.clinic_id, now=timezone.now() - dt.timedelta(minutes=50))
    before = CohortRefresh.objects.get(clinic_id=researcher.clinic_id).refreshed_at
    client = login(researcher)
    page = client.get(PAGE).content.decode()
    assert "Figures as of" in page
    assert "Refresh now" in page and f'action="{reverse("research:cohort_refresh")}"' in page

    answer = client.post(REFRESH, {"filters": "scale=phq9"})
    assert answer.status_code == 302 and answer["Location"] == "/research/?scale=phq9"
    run = JobRun.objects.get(job=REFRESH_JOB)
    assert run.clinic_id == researcher.clinic_id and run.status == RunStatus.QUEUED
    page = client.get(PAGE).content.decode()
    assert "A refresh of the figures is queued" in page
    assert "Refresh now" not in page

    again = client.post(REFRESH, {"filters": ""}, follow=True)
    assert "already queued" in again.content.decode()
    assert JobRun.objects.filter(job=REFRESH_JOB).count() == 1  # throttled: one pending

    JobRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    assert "A refresh of the figures is running now" in client.get(PAGE).content.decode()
    JobRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)

    assert execute(run.pk).startswith("1 clinic:")
    after = CohortRefresh.objects.get(clinic_id=researcher.clinic_id).refreshed_at
    assert after > before
    page = client.get(PAGE).content.decode()
    assert "Refresh now" in page and "is queued" not in page
    # Once it has run, another may be asked for (a later minute: the key is clinic and minute).
    later = timezone.now() + dt.timedelta(minutes=2)
    import time_machine

    with time_machine.travel(later):
        assert client.post(REFRESH, {}).status_code == 302
    assert JobRun.objects.filter(job=REFRESH_JOB).count() == 2


def test_only_members_who_see_the_page_may_refresh_and_only_their_own_clinic(
    researcher: Any, nurse: Any, outsider: Any, make_member: Any, login: Any
) -> None:
    assert login(nurse).post(REFRESH, {}).status_code == 403
    assert login(outsider).post(REFRESH, {}).status_code == 403
    assert login(researcher).get(REFRESH).status_code == 405
    assert not JobRun.objects.filter(job=REFRESH_JOB).exists()
    other = make_member(outsider.clinic, "ravi", "researcher")
    assert login(other).post(REFRESH, {}).status_code == 302
    run = JobRun.objects.get(job=REFRESH_JOB)
    assert run.clinic_id == outsider.clinic_id  # its own clinic, never the researcher's
    # A pending refresh of another clinic does not block this one.
    assert login(researcher).post(REFRESH, {}).status_code == 302
    assert JobRun.objects.filter(job=REFRESH_JOB).count() == 2


def test_the_refresh_needs_the_csrf_token(researcher: Any) -> None:
    client = testing.sign_in(Client(enforce_csrf_checks=True), researcher)
    assert client.post(REFRESH, {}).status_code == 403
    assert not JobRun.objects.filter(job=REFRESH_JOB).exists()


def test_the_refresh_job_is_registered_with_a_label_in_words_and_not_periodic() -> None:
    assert registry.label_of(REFRESH_JOB) == "Cohort analytics summary (refresh now)"
    assert REFRESH_JOB not in {j.name for j in registry.periodic()}
