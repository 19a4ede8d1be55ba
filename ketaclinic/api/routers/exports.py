"""``/exports``: start a de-identified export (prepared in the background), read its status and
progress, download it as a zip when it is ready."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from ketaclinic.accounts.http import membership_of
from ketaclinic.api.exports import (
    ExportNotReadyError,
    export_download,
    export_start,
    get_export_for_user,
    progress_of,
)
from ketaclinic.api.models import ApiExport
from ketaclinic.api.schemas import ExportIn, Message, ValidationMessage

router = Router(tags=["exports"])

ERRORS: dict[int, Any] = {401: Message, 403: Message, 404: Message, 422: ValidationMessage}


class ExportProgress(Schema):
    done: int = Field(description="Rows (or FHIR resources) written so far")
    total: int | None = Field(description="Estimated total; null until counted")
    percent: int | None = Field(description="0-99 while being prepared; null until counted")


class ExportJobOut(Schema):
    id: UUID
    kind: str = Field(description="csv, parquet or fhir")
    status: str = Field(
        description="queued, running, done, failed, cancelled (from the exports page) or expired "
        "(its file removed after the retention period)"
    )
    status_label: str = Field(description="The status in words")
    started_at: dt.datetime = Field(description="When the export was asked for")
    finished_at: dt.datetime | None
    progress: ExportProgress
    files: dict[str, int] = Field(description="File name -> rows (or resources), when done")
    size_bytes: int | None = Field(description="Size of the zip, when done")
    error: str = Field(description="Why it failed, in words")
    download_url: str | None = Field(description="Where to download the zip, when done")


def _out(request: HttpRequest, export: ApiExport) -> dict[str, Any]:
    progress = progress_of(export)
    done = export.status == "done"
    return {
        "id": export.pk,
        "kind": export.kind,
        "status": export.status,
        "status_label": export.get_status_display(),
        "started_at": export.started_at,
        "finished_at": export.finished_at,
        "progress": {"done": progress.done, "total": progress.total, "percent": progress.percent},
        "files": export.files,
        "size_bytes": export.size_bytes,
        "error": export.error,
        "download_url": request.build_absolute_uri(f"/api/v1/exports/{export.pk}/download")
        if done
        else None,
    }


@router.post(
    "",
    response={202: ExportJobOut, **ERRORS},
    summary="Start a de-identified export of the clinic's data (researchers and clinic admins)",
    description="The export is prepared in the background: poll the URL in the Location header "
    "until its status is done, then download it.",
)
def start_export(request: HttpRequest, response: HttpResponse, payload: ExportIn) -> Status[Any]:
    export = export_start(by=membership_of(request), kind=payload.kind)
    response["Location"] = f"/api/v1/exports/{export.pk}"
    return Status(202, _out(request, export))


@router.get(
    "/{export_id}",
    response={200: ExportJobOut, **ERRORS},
    summary="An export's status and progress",
)
def export_status(request: HttpRequest, export_id: UUID) -> Any:
    return _out(request, get_export_for_user(membership=membership_of(request), pk=export_id))


@router.get(
    "/{export_id}/download",
    response={200: None, 409: Message, 401: Message, 403: Message, 404: Message},
    summary="Download a finished export (a zip of its files and manifest)",
    description="409 while the export is waiting, being prepared, or failed.",
    openapi_extra={
        "responses": {200: {"description": "The zip", "content": {"application/zip": {}}}}
    },
)
def download_export(request: HttpRequest, export_id: UUID) -> Any:
    membership = membership_of(request)
    export = get_export_for_user(membership=membership, pk=export_id)
    try:
        path = export_download(by=membership, export=export)
    except ExportNotReadyError:
        label = export.get_status_display().lower()
        return Status(409, {"message": f"The export is not ready to download: {label}."})
    kind = "identified" if export.identified else "deidentified"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"ketaclinic-{kind}-{export.kind}-{export.pk}.zip",
        content_type="application/zip",
    )
