"""``/exports``: start a de-identified export, read its status, download it as a zip."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpRequest
from ninja import Router, Status

from ketaclinic.accounts.http import membership_of
from ketaclinic.api.exports import export_start, export_zip, get_export_for_user
from ketaclinic.api.models import ExportStatus
from ketaclinic.api.schemas import ExportIn, ExportOut, Message, ValidationMessage

router = Router(tags=["exports"])

ERRORS: dict[int, Any] = {401: Message, 403: Message, 404: Message, 422: ValidationMessage}


@router.post(
    "",
    response={201: ExportOut, **ERRORS},
    summary="Export the clinic's de-identified data (researchers and clinic admins)",
)
def start_export(request: HttpRequest, payload: ExportIn) -> Status[Any]:
    return Status(201, export_start(by=membership_of(request), kind=payload.kind))


@router.get("/{export_id}", response={200: ExportOut, **ERRORS}, summary="An export's status")
def export_status(request: HttpRequest, export_id: UUID) -> Any:
    return get_export_for_user(membership=membership_of(request), pk=export_id)


@router.get(
    "/{export_id}/download",
    response={200: None, 409: Message, 401: Message, 403: Message, 404: Message},
    summary="Download a finished export (a zip of its files and manifest)",
    openapi_extra={
        "responses": {200: {"description": "The zip", "content": {"application/zip": {}}}}
    },
)
def download_export(request: HttpRequest, export_id: UUID) -> Any:
    export = get_export_for_user(membership=membership_of(request), pk=export_id)
    if export.status != ExportStatus.DONE:
        return Status(
            409, {"message": f"The export is {export.get_status_display().lower()}, not done."}
        )
    return FileResponse(
        export_zip(export).open("rb"),
        as_attachment=True,
        filename=f"ketaclinic-deidentified-{export.kind}-{export.pk}.zip",
        content_type="application/zip",
    )
