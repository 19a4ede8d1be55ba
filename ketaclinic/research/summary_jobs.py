"""The hourly cohort summary rebuild (``research.summary``), registered with the ops worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ketaclinic.accounts.models import Clinic
from ketaclinic.ops.registry import Job, register
from ketaclinic.research.summary import rebuild

if TYPE_CHECKING:
    from ketaclinic.ops.models import JobRun


def refresh_all() -> str:
    """Rebuild every clinic's summary (each atomically); counts only."""
    clinics = courses = outcomes = 0
    for clinic_id in Clinic.objects.order_by("pk").values_list("pk", flat=True):
        c, o = rebuild(clinic_id)
        clinics, courses, outcomes = clinics + 1, courses + c, outcomes + o
    return f"{clinics} clinic(s): {courses} course fact(s), {outcomes} outcome fact(s)"


def _run(run: JobRun) -> str:
    return refresh_all()


COHORT_SUMMARY = register(
    Job(name="cohort_summary", label="Cohort analytics summary", run=_run, every="hour")
)


def _run_clinic(run: JobRun) -> str:
    """A member's "Refresh now" (``summary_refresh``): their clinic's summary only."""
    if run.clinic_id is None:
        return "no clinic: nothing rebuilt"
    courses, outcomes = rebuild(run.clinic_id)
    return f"1 clinic: {courses} course fact(s), {outcomes} outcome fact(s)"


COHORT_SUMMARY_CLINIC = register(
    Job(
        name="cohort_summary_clinic",
        label="Cohort analytics summary (refresh now)",
        run=_run_clinic,
    )
)
