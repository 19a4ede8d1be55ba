"""The export job on ``ops``' task runner: one run per export, keyed by the export's id, started
by ``api.exports.export_start`` and run by ``ketaclinic worker``. Registered when the app loads
(``api.apps``). Not transactional: it writes files and commits its progress as it goes;
``export_prepare`` makes a retry start afresh."""

from __future__ import annotations

from uuid import UUID

from ketaclinic.api.exports import EXPORT_JOB, export_prepare
from ketaclinic.ops.models import JobRun
from ketaclinic.ops.registry import Job, register


def _run(run: JobRun) -> str:
    return export_prepare(UUID(run.period), attempt=run.attempts, attempts=run.max_attempts)


EXPORT = register(Job(name=EXPORT_JOB, label="Research data export", run=_run, transactional=False))
