"""Background jobs: scheduled once per period, retried after an error or a dead worker, with the
effect done once; the worker runs the real periodic jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketaclinic.alerts.models import Alert, AlertKind, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import execute, job_enqueue, requeue_expired, schedule_due

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 1, 12, 5, tzinfo=dt.UTC)


class _WorkerKilled(BaseException):
    """Stands for kill -9: not an Exception, so nothing in the job runner catches it."""


@pytest.fixture
def flaky(clinic) -> Iterator[dict[str, int]]:
    """A one-off job whose effect is one alert; the first attempt fails after writing it."""
    state = {"calls": 0, "fail_first": 1}

    def run(run: JobRun) -> str:
        state["calls"] += 1
        alert_raise(
            by=None,
            clinic_id=clinic.pk,
            kind=AlertKind.REMS_DEADLINE,
            severity=Severity.INFO,
            title="job effect",
            source_type="test_job",
            source_id=str(run.pk),
        )
        if state["calls"] <= state["fail_first"]:
            raise RuntimeError("first attempt fails")
        return "one alert"

    registry.register(registry.Job(name="test_flaky", label="Flaky test job", run=run))
    yield state
    registry._JOBS.pop("test_flaky", None)


def _alerts(clinic) -> int:
    return Alert.objects.filter(clinic=clinic, source_type="test_job").count()


def test_each_periodic_job_is_scheduled_once_per_period() -> None:
    first = schedule_due(NOON)
    assert sorted(r.job for r in first) == sorted(j.name for j in registry.periodic())
    assert schedule_due(NOON + dt.timedelta(minutes=30)) == []  # same hour, same day
    later = schedule_due(NOON + dt.timedelta(hours=1))
    hourly = ["audit_anchor", "cohort_summary", "inventory_alerts", "rems_deadlines"]
    assert sorted(r.job for r in later) == hourly
    assert JobRun.objects.filter(job="audit_report").count() == 1  # daily: still today's


def test_a_period_another_worker_claimed_is_not_scheduled_again() -> None:
    JobRun.objects.create(
        job="rems_deadlines", period="2026-12-01T12", created_at=NOON, not_before=NOON
    )
    scheduled = {r.job for r in schedule_due(NOON)}
    assert "rems_deadlines" not in scheduled
    assert JobRun.objects.filter(job="rems_deadlines").count() == 1


def test_a_job_that_raises_once_is_retried_and_its_effect_happens_once(clinic, flaky) -> None:
    run = job_enqueue(name="test_flaky", key="export-1")
    assert run is not None
    assert execute(run.pk).startswith("failed")
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.attempts == 1
    assert "RuntimeError" in run.last_error
    assert _alerts(clinic) == 0  # the failed attempt's write was rolled back
    assert execute(run.pk).startswith("skipped")  # not before its backoff
    assert execute(run.pk, now=run.not_before) == "one alert"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert _alerts(clinic) == 1
    assert execute(run.pk, now=run.not_before).startswith("skipped")  # done: never again
    assert _alerts(clinic) == 1


def test_enqueueing_the_same_key_twice_runs_once(clinic, flaky) -> None:
    flaky["fail_first"] = 0
    first = job_enqueue(name="test_flaky", key="export-2")
    assert first is not None
    assert job_enqueue(name="test_flaky", key="export-2") is None
    execute(first.pk)
    assert _alerts(clinic) == 1


def test_a_run_whose_worker_died_mid_job_is_retried_with_its_effect_once(clinic, flaky) -> None:
    def dies_after_writing(run: JobRun) -> str:
        flaky["calls"] += 1
        alert_raise(
            by=None,
            clinic_id=clinic.pk,
            kind=AlertKind.REMS_DEADLINE,
            severity=Severity.INFO,
            title="job effect",
            source_type="test_job",
            source_id=str(run.pk),
        )
        if flaky["calls"] == 1:
            raise _WorkerKilled
        return "one alert"

    registry.register(registry.Job(name="test_flaky", label="Flaky", run=dies_after_writing))
    run = job_enqueue(name="test_flaky", key="export-3")
    assert run is not None
    with pytest.raises(_WorkerKilled):
        execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and _alerts(clinic) == 0
    assert requeue_expired(timezone.now()) == 0  # the lease still holds: maybe alive
    assert run.lease_until is not None
    after_lease = run.lease_until + dt.timedelta(seconds=1)
    assert requeue_expired(after_lease) == 1
    assert execute(run.pk, now=after_lease) == "one alert"
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2
    assert _alerts(clinic) == 1


def test_a_job_failing_every_attempt_ends_failed_after_the_limit(clinic, flaky) -> None:
    flaky["fail_first"] = 99
    run = job_enqueue(name="test_flaky", key="export-4")
    assert run is not None
    for _ in range(run.max_attempts):
        run.refresh_from_db()
        execute(run.pk, now=run.not_before)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.attempts == run.max_attempts
    assert execute(run.pk, now=run.not_before + dt.timedelta(days=1)).startswith("skipped")
    assert _alerts(clinic) == 0


def test_an_unknown_job_is_refused_when_enqueued() -> None:
    with pytest.raises(registry.UnknownJobError):
        job_enqueue(name="no_such_job", key="x")


@pytest.mark.django_db(transaction=True)  # the worker manages its own connections and transactions
def test_the_worker_runs_the_periodic_jobs(settings, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    call_command("worker", "--once")
    runs = {r.job: r for r in JobRun.objects.all()}
    assert set(runs) == {j.name for j in registry.periodic()}
    assert {r.status for r in runs.values()} == {RunStatus.SUCCEEDED}
    reports = list((tmp_path / "reports").glob("audit-report-*.txt"))
    assert len(reports) == 1
    assert "Failed sign-ins" in reports[0].read_text(encoding="utf-8")
    call_command("worker", "--once")  # a second round in the same hour schedules nothing new
    assert JobRun.objects.count() == len(runs)
