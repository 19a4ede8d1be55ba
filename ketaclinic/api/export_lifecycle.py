"""The end of an export's life: cancelled by a member before it is ready, or its file removed by
the daily retention job once it is old.

- ``export_cancel``: a researcher or clinic admin (identified exports: clinic admins only, as for
  every read of them) cancels a queued or running export. The record becomes "cancelled" with who
  and when, audited, in one conditional UPDATE (only a queued or running export changes, so a
  cancel racing the worker's "ready" has one winner). The worker sees it at its next progress
  write (at most ``api.exports.PROGRESS_SECONDS`` apart, at a batch boundary), stops and throws
  its partial files away; nothing is ever offered for download.
- ``exports_expire``: the daily job removes the zip of every export finished more than
  ``KETACLINIC_EXPORT_RETENTION_DAYS`` ago (environment variable, default 7 days: long enough
  to fetch a file after a weekend, short enough that identified records do not linger on the
  server). The record stays, status "expired" with the time, and each removal is audited (system actor).
  Cancelled and failed exports leave no file (the worker removes its partial files), so only
  ready ones expire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.api.exports import discard_files
from ketaclinic.api.models import ApiExport, ExportStatus
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.lib.env import envint

#: Days a prepared export's file is kept (``KETACLINIC_EXPORT_RETENTION_DAYS``; 1-365).
DEFAULT_RETENTION_DAYS = 7
RETENTION_ENV = "KETACLINIC_EXPORT_RETENTION_DAYS"


def retention_days() -> int:
    return envint(RETENTION_ENV, DEFAULT_RETENTION_DAYS, minimum=1, maximum=365)


def may_cancel(membership: Membership, export: ApiExport) -> bool:
    """The page shows the button to whoever may see the export (``get_export_for_user``)."""
    return export.active and membership.can(Perm.RESEARCH_VIEW)


@transaction.atomic
def export_cancel(*, by: Membership, export: ApiExport) -> ApiExport:
    """Cancel ``export`` (fetched with ``get_export_for_user``, which checks clinic and role)."""
    if export.clinic_id != by.clinic_id or not by.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    if export.identified and not by.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    now = timezone.now()
    changed = ApiExport.objects.filter(
        pk=export.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).update(
        status=ExportStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by_id=by.user_id,
        finished_at=now,
        error="",
    )
    if changed != 1:
        current = ApiExport.objects.get(pk=export.pk)
        raise ValidationError(
            f"This export can no longer be cancelled: it is {current.get_status_display().lower()}."
        )
    audit_record(
        event_type=EventType.EXPORT_CANCELLED,
        actor=by,
        obj=export,
        extra={
            "api_export_id": str(export.pk),
            "format": export.kind,
            "identified": export.identified,
            "was": export.status,
        },
    )
    export.status = ExportStatus.CANCELLED
    export.cancelled_at, export.cancelled_by_id, export.finished_at = now, by.user_id, now
    return export


@dataclass(frozen=True)
class ExpiryResult:
    expired: int
    retention_days: int


def exports_expire(*, now: dt.datetime | None = None) -> ExpiryResult:
    """Remove the files of exports finished before the retention period; keep their records."""
    now = now or timezone.now()
    days = retention_days()
    cutoff = now - dt.timedelta(days=days)
    old = ApiExport.objects.filter(
        finished_at__lt=cutoff,
        status=ExportStatus.DONE,
    ).order_by("finished_at")
    expired = 0
    for export in old.iterator():
        # The file goes first: were the record marked first and the removal then fail, the
        # file would stay on disk with nothing left to remove it. A retried job finds the
        # record unchanged and removes nothing more (missing files are fine).
        discard_files(export)
        with transaction.atomic():
            changed = ApiExport.objects.filter(pk=export.pk, status=ExportStatus.DONE).update(
                status=ExportStatus.EXPIRED, expired_at=now
            )
            if changed != 1:
                continue
            audit_record(
                event_type=EventType.EXPORT_EXPIRED,
                clinic_id=export.clinic_id,
                obj=export,
                extra={
                    "api_export_id": str(export.pk),
                    "format": export.kind,
                    "identified": export.identified,
                    "retention_days": days,
                },
            )
            expired += 1
    return ExpiryResult(expired=expired, retention_days=days)
