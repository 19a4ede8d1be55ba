"""Reads for the jobs page: the runs a clinic admin may see (network-wide jobs and their own
clinic's one-off jobs; never another clinic's)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.ops.models import JobRun, RunStatus

RECENT_RUNS = 100


class JobsNotAllowedError(PermissionError):
    pass


def runs_for_membership(membership: Membership) -> QuerySet[JobRun]:
    if not membership.can(Perm.CLINIC_MANAGE):
        raise JobsNotAllowedError
    return JobRun.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=membership.clinic_id))


def recent_runs(membership: Membership) -> list[JobRun]:
    return list(runs_for_membership(membership).order_by("-created_at", "-id")[:RECENT_RUNS])


def recent_failures(membership: Membership, *, days: int = 7) -> list[JobRun]:
    """Runs that failed for good, and runs waiting for a retry after an error."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(
        runs_for_membership(membership)
        .filter(created_at__gte=since)
        .filter(Q(status=RunStatus.FAILED) | Q(status=RunStatus.QUEUED, attempts__gt=0))
        .order_by("-created_at", "-id")
    )
