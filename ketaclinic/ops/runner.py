"""Scheduling, running and retrying jobs (docs/reliability.md, "Background jobs").

- ``schedule_due``: the worker's scheduler. For every periodic job it inserts the ``JobRun`` of the
  current period; the unique (job, period) constraint lets exactly one worker win, and the winner
  enqueues the django-tasks task in the same transaction (the database backend stores the task in
  the same database, so the run and its task are committed together or not at all).
- ``execute``: the task body. It claims the run with a conditional UPDATE that must change exactly
  one row (``select_for_update`` does nothing on SQLite), then runs the job and marks the run done
  in one transaction. An error rolls the job's effect back and schedules a retry with backoff, up
  to ``max_attempts``; then the run is failed and shown on the jobs page.
- ``requeue_expired``: a running attempt whose lease has passed died with its worker (kill -9):
  its transaction was rolled back, so the run is put back in the queue (or failed when it has no
  attempts left).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun, RunStatus

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 30  # first retry after 30 s, then 60 s, 120 s, ...


class LeaseLostError(RuntimeError):
    """The run's lease expired and it was handed to another attempt while this one still ran."""


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "JOBS_LEASE_SECONDS", 900)))


def _max_attempts() -> int:
    return int(getattr(settings, "JOBS_MAX_ATTEMPTS", 3))


@task()
def run_job(run_id: int) -> str:
    """The django-tasks entry point: everything else is in ``execute``."""
    return execute(run_id)


def _enqueue(run: JobRun) -> None:
    run_job.using(run_after=run.not_before).enqueue(run.pk)


def job_enqueue(*, name: str, key: str, clinic_id: int | None = None) -> JobRun | None:
    """Queue one run of ``name`` for ``key`` (e.g. an export's id); ``None`` if that key already
    ran or is queued: enqueueing twice does the work once."""
    registry.get(name)  # refuse an unknown job now, not in the worker
    now = timezone.now()
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=name,
                period=key,
                clinic_id=clinic_id,
                created_at=now,
                not_before=now,
                max_attempts=_max_attempts(),
            )
            _enqueue(run)
    except IntegrityError:
        return None
    return run


def schedule_due(now: dt.datetime | None = None) -> list[JobRun]:
    """Insert and enqueue the current period's run of every periodic job not yet scheduled."""
    now = now or timezone.now()
    created = []
    for job in registry.periodic():
        assert job.every is not None  # noqa: S101  (periodic() returns only these)
        period = registry.period_key(job.every, now)
        if JobRun.objects.filter(job=job.name, period=period).exists():
            continue
        try:
            with transaction.atomic():
                run = JobRun.objects.create(
                    job=job.name,
                    period=period,
                    created_at=now,
                    not_before=now,
                    max_attempts=_max_attempts(),
                )
                _enqueue(run)
        except IntegrityError:  # another worker's scheduler won this period
            continue
        created.append(run)
    return created


def requeue_expired(now: dt.datetime | None = None) -> int:
    """Put back in the queue every running attempt whose lease has passed; returns how many."""
    now = now or timezone.now()
    count = 0
    for run in JobRun.objects.filter(status=RunStatus.RUNNING, lease_until__lt=now):
        with transaction.atomic():
            if run.attempts >= run.max_attempts:
                changed = JobRun.objects.filter(
                    pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
                ).update(
                    status=RunStatus.FAILED,
                    finished_at=now,
                    lease_until=None,
                    last_error="The worker stopped during the last attempt",
                )
                continue
            changed = JobRun.objects.filter(
                pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
            ).update(
                status=RunStatus.QUEUED,
                not_before=now,
                lease_until=None,
                last_error="The worker stopped during the attempt; retried",
            )
            if changed == 1:
                run.not_before = now
                _enqueue(run)
                count += 1
    return count


def _claim(run_id: int, now: dt.datetime) -> JobRun | None:
    changed = JobRun.objects.filter(
        pk=run_id,
        status=RunStatus.QUEUED,
        not_before__lte=now,
        attempts__lt=F("max_attempts"),
    ).update(
        status=RunStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_until=now + _lease(),
    )
    if changed != 1:
        return None
    return JobRun.objects.get(pk=run_id)


def _finish(run: JobRun, summary: str) -> None:
    changed = JobRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
    ).update(
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        lease_until=None,
        summary=summary[:200],
        last_error="",
    )
    if changed != 1:
        raise LeaseLostError(run.pk)


def _failed(run: JobRun, exc: BaseException) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__} on attempt {run.attempts} of {run.max_attempts}"
    with transaction.atomic():
        if run.attempts >= run.max_attempts:
            JobRun.objects.filter(
                pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
            ).update(status=RunStatus.FAILED, finished_at=now, lease_until=None, last_error=error)
            return
        retry_at = now + dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** (run.attempts - 1))
        changed = JobRun.objects.filter(
            pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
        ).update(status=RunStatus.QUEUED, not_before=retry_at, lease_until=None, last_error=error)
        if changed == 1:
            run.not_before = retry_at
            _enqueue(run)


def execute(run_id: int, now: dt.datetime | None = None) -> str:
    """Run one attempt of a queued run; returns what happened (stored by django-tasks)."""
    run = _claim(run_id, now or timezone.now())
    if run is None:
        return "skipped: not waiting (done, running elsewhere or not yet due)"
    job = registry.get(run.job)
    try:
        if job.transactional:
            with transaction.atomic():
                summary = job.run(run)
                _finish(run, summary)
        else:
            summary = job.run(run)
            with transaction.atomic():
                _finish(run, summary)
    except Exception as exc:
        # The class only: a message may quote a row (patient data never goes to a log line).
        logger.warning("job %s run %s failed: %s", run.job, run.pk, type(exc).__name__)
        _failed(run, exc)
        return f"failed: {type(exc).__name__}"
    return summary
