"""The export job on ``ops``' task runner: one run per export, keyed by the export's id, started
by ``api.exports.export_start`` and run by ``ketaclinic worker``. Registered when the app loads
(``api.apps``). Not transactional: it writes files and commits its progress as it goes;
``export_prepare`` makes a retry start afresh.

An export can outlast the runner's lease (15 minutes by default), after which another worker
would take the run for dead and start it again beside the live one. So each progress write also
extends the lease, with a conditional UPDATE on this attempt; when it changes nothing, another
attempt owns the run and this one stops (``LeaseLostError``) before touching its files again."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from ketaclinic.api.export_lifecycle import exports_expire
from ketaclinic.api.exports import EXPORT_JOB, export_prepare
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.registry import Job, register
from ketaclinic.ops.runner import LeaseLostError


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "JOBS_LEASE_SECONDS", 900)))


def _heartbeat(run: JobRun) -> None:
    extended = JobRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts
    ).update(lease_until=timezone.now() + _lease())
    if extended != 1:
        raise LeaseLostError(run.pk)


def _run(run: JobRun) -> str:
    return export_prepare(
        UUID(run.period),
        attempt=run.attempts,
        attempts=run.max_attempts,
        heartbeat=lambda: _heartbeat(run),
    )


EXPORT = register(Job(name=EXPORT_JOB, label="Research data export", run=_run, transactional=False))


def _expire(run: JobRun) -> str:
    result = exports_expire()
    return f"{result.expired} export file(s) removed (kept {result.retention_days} day(s))"


# Registered here, beside the export job, rather than in ops.jobs: ops may not import api
# (tests/test_layers.py), as research's cohort_summary registers itself in research.summary_jobs.
EXPORT_RETENTION = register(
    Job(
        name="export_retention",
        label="Old export files removed",
        run=_expire,
        every="day",
        transactional=False,  # removes files; each record is marked in its own transaction
    )
)
