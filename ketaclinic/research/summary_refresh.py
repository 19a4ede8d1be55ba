""" "Refresh now" on the cohort page: a member who may see the page queues a rebuild of their own
clinic's summary (the ``cohort_summary_clinic`` job, registered in ``summary_jobs``) instead of
waiting up to an hour for the hourly ``cohort_summary`` job.

Throttled per clinic: while a refresh of the clinic is queued or running, another is refused
(the page says so instead of showing the button). Two clicks in the same minute race on the job's
unique (job, key) pair, the key being the clinic and the minute, so at most one of them queues.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import job_enqueue
from ketaclinic.research.models import CohortRefresh

REFRESH_JOB = "cohort_summary_clinic"
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
ALREADY = (
    "A refresh of the figures is already queued; the page shows the new figures once it has run."
)


@dataclass(frozen=True)
class SummaryState:
    refreshed_at: dt.datetime | None  # when the summary was last built (None: never)
    refresh: str | None  # "queued" or "running" while a refresh asked for by a member is pending
    refresh_asked_at: dt.datetime | None


def summary_state(clinic_id: int) -> SummaryState:
    """When the clinic's summary was built and whether a refresh is pending: one query."""
    pending = JobRun.objects.filter(
        job=REFRESH_JOB, clinic_id=OuterRef("pk"), status__in=ACTIVE
    ).order_by("-created_at")
    row = (
        Clinic.objects.filter(pk=clinic_id)
        .annotate(
            at=Subquery(
                CohortRefresh.objects.filter(clinic_id=OuterRef("pk")).values("refreshed_at")[:1]
            ),
            refresh=Subquery(pending.values("status")[:1]),
            asked=Subquery(pending.values("created_at")[:1]),
        )
        .values_list("at", "refresh", "asked")
        .first()
    )
    if row is None:
        return SummaryState(None, None, None)
    return SummaryState(refreshed_at=row[0], refresh=row[1], refresh_asked_at=row[2])


def summary_refresh_request(*, by: Membership) -> JobRun:
    """Queue a rebuild of ``by``'s clinic's summary; refused while one is queued or running."""
    if not by.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    if JobRun.objects.filter(job=REFRESH_JOB, clinic_id=by.clinic_id, status__in=ACTIVE).exists():
        raise ValidationError(ALREADY)
    minute = timezone.now().strftime("%Y-%m-%dT%H:%M")
    run = job_enqueue(name=REFRESH_JOB, key=f"{by.clinic_id}:{minute}", clinic_id=by.clinic_id)
    if run is None:  # the same minute's refresh ran or is queued already
        raise ValidationError(ALREADY)
    return run
