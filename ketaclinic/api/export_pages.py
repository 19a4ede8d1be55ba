"""``/research/exports/``: a researcher (or clinic admin) starts an export, watches its progress
and downloads it; a clinic admin may also prepare an identified FHIR export, with a reason and
the step-up. The export itself is ``api.exports``' (the same service as the API's)."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.forms import ReasonForm
from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate
from ketaclinic.api.export_lifecycle import export_cancel, retention_days
from ketaclinic.api.exports import (
    FORMAT_LABELS,
    ExportNotReadyError,
    export_download,
    export_start,
    get_export_for_user,
    recent_exports,
)
from ketaclinic.ops.idempotency import once_per_form

IDENTIFIED_LABEL = "Identified FHIR export (to move patients to another clinic's system)"


class ExportStartForm(forms.Form):
    kind = forms.ChoiceField(
        label="Format",
        choices=list(FORMAT_LABELS.items()),
        initial="csv",
        help_text="CSV or Parquet: one table per file. FHIR NDJSON: one resource type per file.",
    )


class IdentifiedExportForm(ReasonForm):
    """The reason, the admin's own password and a current code (as every account change)."""

    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Why the records leave the clinic, and for which clinic; kept in the audit trail.",
    )


def _rows_context(membership: Membership) -> dict[str, object]:
    exports = recent_exports(membership=membership)
    return {
        "exports": exports,
        "polling": any(e.active for e in exports),
        "retention_days": retention_days(),
    }


@once_per_form  # a double click starts one export
def exports_page(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    context = _rows_context(membership)  # refuses (403) a role without research access
    is_admin = membership.can(Perm.CLINIC_MANAGE)
    action = request.POST.get("action") if request.method == "POST" else None
    form = ExportStartForm(request.POST if action == "start" else None)
    identified = IdentifiedExportForm(request.POST if action == "identified" else None)
    if action == "start" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if run_service(form, lambda: export_start(by=membership, kind=kind)) is not None:
            return redirect("research:exports")
    elif action == "identified":
        if not is_admin:
            raise PermissionDenied
        if identified.is_valid():
            data = identified.cleaned_data
            if reauthenticate(
                membership=membership,
                password=data["your_password"],
                token=data["your_code"],
                purpose="research.identified_export",
            ):
                started = run_service(
                    identified,
                    lambda: export_start(
                        by=membership, kind="fhir", identified=True, reason=data["reason"]
                    ),
                )
                if started is not None:
                    return redirect("research:exports")
            else:
                identified.add_error("your_password", f"{REAUTH_REFUSED} No export was started.")
    context |= {
        "form": form,
        "identified_form": identified if is_admin else None,
        "identified_label": IDENTIFIED_LABEL,
    }
    return render(request, "research/exports.html", context)


@require_GET
def export_rows(request: ClinicRequest) -> HttpResponse:
    """The list of exports alone, which the page polls (htmx) while one is being prepared."""
    context = _rows_context(membership_of(request))
    return render(request, "research/partials/export_rows.html", context)


@require_POST
def export_cancel_view(request: ClinicRequest) -> HttpResponse:
    """Cancel a queued or running export (``export=<id>``); audited. The worker stops at its
    next batch boundary and removes its partial files; the row stays, "Cancelled"."""
    membership = membership_of(request)
    try:
        pk = UUID(request.POST.get("export", ""))
    except ValueError:
        raise Http404 from None
    export = get_export_for_user(membership=membership, pk=pk)
    try:
        export_cancel(by=membership, export=export)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Export cancelled; nothing will be offered for download.")
    return redirect("research:exports")


@require_GET
def export_file(request: ClinicRequest) -> HttpResponse | FileResponse:
    """The zip of a ready export (``?export=<id>``); the download is audited."""
    membership = membership_of(request)
    try:
        pk = UUID(request.GET.get("export", ""))
    except ValueError:
        raise Http404 from None
    export = get_export_for_user(membership=membership, pk=pk)
    try:
        path = export_download(by=membership, export=export)
    except ExportNotReadyError:
        return HttpResponse(
            "This export is not ready to download yet.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    kind = "identified" if export.identified else "deidentified"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"ketaclinic-{kind}-{export.kind}-{export.pk}.zip",
        content_type="application/zip",
    )
