"""Exports of a clinic's data, started through the API or the exports page and prepared by the
background worker (``api.export_jobs``, on ``ops``' task runner).

- ``export_start`` creates the record (waiting to start) and enqueues one job keyed by its id, in
  one transaction: the record and its job are committed together or not at all.
- ``export_prepare`` is the job's body. It writes into ``VAR_DIR/api-exports/<id>/`` through the
  research app's hidden work folder, zips it, and marks the record ready with its counts. An
  attempt that dies (an error, or a worker killed mid-export) is retried by the runner; the retry
  throws away whatever the dead attempt left and starts afresh, so the result is one export.
- Progress (rows or resources written and the estimated total) is written at most every
  ``PROGRESS_SECONDS``, each write a short transaction of its own, so that the page can show it.

De-identified exports: researchers and clinic admins (``RESEARCH_VIEW``). Identified FHIR (to move
patients to another clinic's system): clinic admins only, with a reason and the step-up (checked
by the page). The audit events carry ids and counts, never a file path or patient data."""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.api.models import ApiExport, ExportKind, ExportStatus
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import LeaseLostError, job_enqueue
from ketaclinic.research.export import FORMATS, export_deidentified, export_identified_fhir

EXPORT_JOB = "research_export"  # registered by api.export_jobs
PROGRESS_SECONDS = 2.0
RECENT = 20
FORMAT_LABELS = dict(ExportKind.choices)


class ExportNotReadyError(Exception):
    """The export is not ready to download (still being prepared, or failed)."""


class ExportCancelledError(Exception):
    """The export was cancelled (``api.export_lifecycle``) while this attempt prepared it."""


def export_root() -> Path:
    return Path(settings.VAR_DIR) / "api-exports"


def export_zip(export: ApiExport) -> Path:
    return export_root() / f"{export.pk}.zip"


def _folder(export: ApiExport) -> Path:
    return export_root() / str(export.pk)


# --------------------------------------------------------------------------------------------------
# Reads: every export is fetched through these, checking the clinic and the role.


def _may_see(membership: Membership, export: ApiExport) -> bool:
    return not export.identified or membership.can(Perm.CLINIC_MANAGE)


def get_export_for_user(*, membership: Membership, pk: UUID) -> ApiExport:
    """Another clinic's export is a 404; a role without research access, or a researcher asking
    for an identified export, a 403."""
    export = (
        ApiExport.objects.select_related("membership__user")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if export is None:
        raise Http404
    if not membership.can(Perm.RESEARCH_VIEW) or not _may_see(membership, export):
        raise PermissionDenied
    _note_dead_worker([export])
    return export


def recent_exports(*, membership: Membership, limit: int = RECENT) -> list[ApiExport]:
    """The clinic's latest exports this member may see (identified ones: clinic admins only)."""
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    query = ApiExport.objects.filter(clinic_id=membership.clinic_id)
    if not membership.can(Perm.CLINIC_MANAGE):
        query = query.filter(identified=False)
    exports = list(
        query.select_related("membership__user", "cancelled_by").order_by("-started_at")[:limit]
    )
    _note_dead_worker(exports)
    return exports


def _note_dead_worker(exports: list[ApiExport]) -> None:
    """An export whose job has no attempts left (its last worker was killed mid-export) can never
    finish: shown as failed (not saved; the record keeps what the worker last wrote)."""
    active = {str(e.pk): e for e in exports if e.active}
    if not active:
        return
    dead = JobRun.objects.filter(
        job=EXPORT_JOB, period__in=list(active), status=RunStatus.FAILED
    ).values_list("period", flat=True)
    for key in dead:
        active[key].status = ExportStatus.FAILED
        active[key].error = "The worker stopped while preparing it, on its last attempt."


@dataclass(frozen=True)
class Progress:
    """What the page and the API say about a running export."""

    done: int
    total: int | None
    percent: int | None  # 0-99 while running (the total is an estimate)


def progress_of(export: ApiExport) -> Progress:
    total = export.rows_total
    percent = None
    if total:
        percent = min(99, math.floor(100 * export.rows_done / total))
    return Progress(done=export.rows_done, total=total, percent=percent)


# --------------------------------------------------------------------------------------------------
# Writes.


@transaction.atomic
def export_start(
    *, by: Membership, kind: str, identified: bool = False, reason: str = ""
) -> ApiExport:
    """Ask for an export; the worker prepares it. Identified: FHIR only, clinic admins only, with
    a reason (the caller has checked the step-up)."""
    if not by.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    if kind not in FORMATS:
        raise ValidationError({"kind": f"Choose one of {', '.join(FORMATS)}, not {kind!r}."})
    reason = reason.strip()
    if identified:
        if not by.can(Perm.CLINIC_MANAGE):
            raise PermissionDenied
        errors = {}
        if kind != "fhir":
            errors["kind"] = "An identified export is FHIR NDJSON only."
        if len(reason) < 10:
            errors["reason"] = "Say why the identified records leave the clinic (10+ characters)."
        if errors:
            raise ValidationError(errors)
    export = ApiExport.objects.create(
        clinic_id=by.clinic_id,
        membership=by,
        kind=kind,
        identified=identified,
        reason=reason if identified else "",
        status=ExportStatus.QUEUED,
        started_at=timezone.now(),
    )
    job_enqueue(name=EXPORT_JOB, key=str(export.pk), clinic_id=by.clinic_id)
    return export


def export_download(*, by: Membership, export: ApiExport) -> Path:
    """The zip of a ready export (fetched with ``get_export_for_user``); the download is audited."""
    if export.status != ExportStatus.DONE:
        raise ExportNotReadyError(export.get_status_display())
    with transaction.atomic():
        audit_record(
            event_type=EventType.EXPORT_DOWNLOADED,
            actor=by,
            obj=export,
            extra={
                "api_export_id": str(export.pk),
                "format": export.kind,
                "identified": export.identified,
                "size_bytes": export.size_bytes,
            },
        )
    return export_zip(export)


class _ProgressWriter:
    """``on_progress`` for the research export: writes at most every ``PROGRESS_SECONDS`` (the
    first call always), each write an UPDATE committed on its own, and then calls ``heartbeat``
    (the job extends its lease, so that a long export is not taken for a dead one)."""

    def __init__(self, pk: UUID, heartbeat: Callable[[], None] | None = None) -> None:
        self.pk = pk
        self.heartbeat = heartbeat
        self.last = -math.inf

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        written = ApiExport.objects.filter(pk=self.pk, status=ExportStatus.RUNNING).update(
            rows_done=done, rows_total=total, progress_at=timezone.now()
        )
        if written != 1:  # no longer running: cancelled; stop at this batch boundary
            raise ExportCancelledError(self.pk)
        if self.heartbeat is not None:
            self.heartbeat()


def discard_files(export: ApiExport) -> None:
    """Every file of ``export``: the finished folder, the research export's hidden work folder,
    the zip and a half-written zip. Before a retry (start afresh), after a cancel or a last
    failed attempt (no partial file stays on disk) and when the retention period ends."""
    folder, target = _folder(export), export_zip(export)
    for tree in (folder, folder.with_name(f".{folder.name}.partial")):
        if tree.exists():
            shutil.rmtree(tree)
    for stale in (target, target.with_name(f".{target.name}.partial.zip")):
        stale.unlink(missing_ok=True)


_clear = discard_files


def _reads_once(pk: UUID) -> Callable[[], bool]:
    """For an identified export: True the first time only (per export, across attempts), set in
    the transaction of the "patient viewed" events, so that a retry does not write them again."""

    def claim() -> bool:
        return (
            ApiExport.objects.filter(pk=pk, reads_audited_at__isnull=True).update(
                reads_audited_at=timezone.now()
            )
            == 1
        )

    return claim


def _cancelled(export: ApiExport) -> str:
    discard_files(export)
    return "cancelled: stopped and its partial files removed"


def _zip(export: ApiExport) -> int:
    """Zip the folder under a hidden name, then rename it: a download never sees half a zip."""
    target = export_zip(export)
    partial = shutil.make_archive(
        str(target.with_name(f".{target.name}.partial")), "zip", root_dir=_folder(export)
    )
    Path(partial).chmod(0o600)  # the server's own user only: identified exports hold PHI
    Path(partial).replace(target)
    shutil.rmtree(_folder(export))
    return target.stat().st_size


def _failure_words(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return (
            "The export could not be written: the server's disk may be full or its export "
            "folder not writable. Tell your administrator, then start it again."
        )
    return "The export stopped with an error. Start it again; if it fails again, tell your administrator."


def _refuse(export: ApiExport, message: str) -> str:
    ApiExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
    )
    return "refused: the member may no longer make this export"


def _begin(export: ApiExport) -> str | None:
    """Mark ``export`` running; or the summary of why this attempt prepares nothing."""
    if export.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
        return "already prepared"
    if export.status == ExportStatus.CANCELLED:
        return _cancelled(export)
    member = export.membership
    if not member.is_active or not member.can(Perm.RESEARCH_VIEW):
        return _refuse(export, "The member who asked for it no longer has research access.")
    if export.identified and not member.can(Perm.CLINIC_MANAGE):
        return _refuse(export, "Only a clinic admin may prepare an identified export.")
    started = ApiExport.objects.filter(
        pk=export.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.FAILED]
    ).update(status=ExportStatus.RUNNING, rows_done=0, rows_total=None, progress_at=None, error="")
    if started != 1:  # cancelled since it was read
        return _cancelled(export)
    export.status = ExportStatus.RUNNING
    return None


def _write(export: ApiExport, heartbeat: Callable[[], None] | None) -> dict[str, int]:
    out, on_progress = _folder(export), _ProgressWriter(export.pk, heartbeat)
    if export.identified:
        return export_identified_fhir(
            by=export.membership,
            out=out,
            progress=False,
            on_progress=on_progress,
            reads_once=_reads_once(export.pk),
        )
    return export_deidentified(
        clinic_ids=[export.clinic_id],
        out=out,
        fmt=export.kind,
        progress=False,
        on_progress=on_progress,
    )


@transaction.atomic
def _mark_ready(export: ApiExport, files: dict[str, int], size: int) -> bool:
    """Ready, audited; False (nothing changed) when it was cancelled after its last batch."""
    rows = sum(files.values())
    ready = ApiExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        files=files,
        size_bytes=size,
        rows_done=rows,
        rows_total=rows,
        progress_at=timezone.now(),
        finished_at=timezone.now(),
        error="",
    )
    if ready != 1:
        return False
    audit_record(
        event_type=EventType.EXPORT_IDENTIFIED
        if export.identified
        else EventType.EXPORT_DEIDENTIFIED,
        actor=export.membership,
        obj=export,
        reason=export.reason,
        extra={
            "api_export_id": str(export.pk),
            "format": export.kind,
            "files": len(files),
            "rows": rows,
            "size_bytes": size,
        },
    )
    return True


def export_prepare(
    export_id: UUID,
    *,
    attempt: int = 1,
    attempts: int = 1,
    heartbeat: Callable[[], None] | None = None,
) -> str:
    """The job: prepare one export (attempt ``attempt`` of ``attempts``); returns a summary with
    counts only. Raises on an error, after noting it on the record, so the runner retries.
    ``heartbeat`` is called with every progress write; it raises when the attempt must stop.
    A cancelled export stops at its next progress write and its files are removed."""
    export = ApiExport.objects.select_related("membership").get(pk=export_id)
    skipped = _begin(export)
    if skipped is not None:
        return skipped
    try:
        _clear(export)
        files = _write(export, heartbeat)
        size = _zip(export)
    except LeaseLostError:
        raise  # another attempt owns the run (and the record) now
    except ExportCancelledError:
        return _cancelled(export)
    except Exception as exc:
        last = attempt >= attempts
        if last:
            discard_files(export)
        ApiExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED if last else ExportStatus.QUEUED,
            error=_failure_words(exc)
            if last
            else f"Attempt {attempt} of {attempts} stopped with an error; it will be tried again.",
            finished_at=timezone.now() if last else None,
        )
        raise
    if not _mark_ready(export, files, size):  # cancelled after the last batch: never offered
        return _cancelled(export)
    return f"{sum(files.values())} row(s) in {len(files)} file(s), {size} bytes"
