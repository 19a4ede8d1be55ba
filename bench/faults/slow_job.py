"""The job worker_kill.py kills: it raises one alert (its effect), says it has done so by
creating ``<marker>-<attempt>``, then works on for ``FAULTS_JOB_SECONDS`` inside the transaction
that marks its run done. Run as a script, it is ``ketaclinic worker`` with this job registered."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

if TYPE_CHECKING:
    from ketaclinic.ops.models import JobRun

NAME = "faults_slow"
SOURCE = "faults_job"


def slow(run: JobRun) -> str:
    from ketaclinic.alerts.models import AlertKind, Severity
    from ketaclinic.alerts.services import alert_raise

    alert_raise(
        by=None,
        clinic_id=run.clinic_id,
        kind=AlertKind.REMS_DEADLINE,
        severity=Severity.INFO,
        title="Fault test job effect",
        source_type=SOURCE,
        source_id=str(run.pk),
    )
    Path(f"{os.environ['FAULTS_MARKER']}-{run.attempts}").touch()
    time.sleep(float(os.environ.get("FAULTS_JOB_SECONDS", "8")))
    return "one alert"


def register() -> None:
    from ketaclinic.ops import registry

    registry.register(registry.Job(name=NAME, label="Fault test job", run=slow))


if __name__ == "__main__":
    import django

    django.setup()
    register()
    from django.core.management import call_command

    call_command("worker", interval=0.5)
