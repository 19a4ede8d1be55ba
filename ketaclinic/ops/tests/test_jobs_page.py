"""The jobs page: clinic admins see recent runs and failures, never another clinic's runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.ops.models import JobRun, RunStatus

pytestmark = pytest.mark.django_db


def _run(job: str, period: str, **fields) -> JobRun:
    now = timezone.now()
    return JobRun.objects.create(job=job, period=period, created_at=now, not_before=now, **fields)


def test_admins_see_failures_and_recent_runs_but_not_another_clinics(
    client, clinic_admin, other_clinic, login
) -> None:
    _run("rems_deadlines", "2026-12-01T10", status=RunStatus.SUCCEEDED, attempts=1)
    _run(
        "audit_anchor",
        "2026-12-01T11",
        status=RunStatus.FAILED,
        attempts=3,
        last_error="OSError on attempt 3 of 3",
    )
    _run("export", "their-export", clinic=other_clinic, summary="their clinic's export")
    login(clinic_admin)
    response = client.get(reverse("ops:jobs"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "REMS deadline alerts" in body
    assert "OSError on attempt 3 of 3" in body
    assert [run.period for run, _ in response.context["failed"]] == ["2026-12-01T11"]
    assert "their-export" not in body and "their clinic" not in body


def test_a_run_waiting_for_a_retry_is_listed_as_a_failure(client, clinic_admin, login) -> None:
    later = timezone.now() + dt.timedelta(minutes=1)
    _run("inventory_alerts", "2026-12-01T12", attempts=1, last_error="OperationalError")
    JobRun.objects.filter(period="2026-12-01T12").update(not_before=later)
    login(clinic_admin)
    response = client.get(reverse("ops:jobs"))
    assert [run.period for run, _ in response.context["failed"]] == ["2026-12-01T12"]


@pytest.mark.parametrize("persona", ["nurse", "front_desk", "prescriber", "outsider"])
def test_other_roles_are_refused(request, client, login, persona: str) -> None:
    login(request.getfixturevalue(persona))
    assert client.get(reverse("ops:jobs")).status_code == 403
