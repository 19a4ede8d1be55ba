"""De-identified exports started through the API: the research app's ``export_deidentified`` run
synchronously into ``VAR_DIR/api-exports/<id>/`` (this project has no background task runner yet),
then zipped for download. Researchers and clinic admins (``RESEARCH_VIEW``), their own clinic only."""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.api.models import ApiExport, ExportStatus
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.research.export import FORMATS, ExportError, export_deidentified


def export_root() -> Path:
    return Path(settings.VAR_DIR) / "api-exports"


def export_zip(export: ApiExport) -> Path:
    return export_root() / f"{export.pk}.zip"


def export_start(*, by: Membership, kind: str) -> ApiExport:
    if not by.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    if kind not in FORMATS:
        raise ValidationError({"kind": f"Choose one of {', '.join(FORMATS)}, not {kind!r}."})
    with transaction.atomic():
        export = ApiExport.objects.create(
            clinic_id=by.clinic_id,
            membership=by,
            kind=kind,
            status=ExportStatus.RUNNING,
            started_at=timezone.now(),
        )
        audit_record(
            event_type=EventType.RECORDS_VIEWED,
            actor=by,
            obj=export,
            extra={"api_export_id": str(export.pk), "format": kind, "deidentified": True},
        )
    out = export_root() / str(export.pk)
    try:
        files = export_deidentified(clinic_ids=[by.clinic_id], out=out, fmt=kind, progress=False)
        shutil.make_archive(str(out), "zip", root_dir=out)
    except (ExportError, OSError) as exc:
        export.status = ExportStatus.FAILED
        export.error = str(exc).replace(str(export_root()), "the export folder")
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    export.status = ExportStatus.DONE
    export.files = files
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "files", "finished_at"])
    return export


def get_export_for_user(*, membership: Membership, pk: UUID) -> ApiExport:
    export = ApiExport.objects.filter(pk=pk, clinic_id=membership.clinic_id).first()
    if export is None:
        raise Http404
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    return export
