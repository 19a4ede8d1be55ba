"""REMS Patient Monitoring Forms: the dashboard of deadlines, one form (page and JSON), and
marking it submitted."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.lib.context import note_read
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.domain.pmf import DECISION_SUPPORT
from ketaclinic.treatment.views._common import run_service_with_messages


def rems_dashboard(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    today = timezone.now().astimezone(m.clinic.tzinfo).date()
    rows: list[dict[str, Any]] = []
    for form in selectors.rems_forms_due(membership=m):
        note_read(form, form.session.patient_id)  # each row names its patient: audited by id
        deadline = rems.pmf_deadline(
            selectors.pmf_treatment_date(form), today=today, submitted=form.submitted_at is not None
        )
        rows.append({"form": form, "deadline": deadline})
    rows.sort(key=lambda r: (r["deadline"].status == "submitted", r["deadline"].due_date))
    return render(request, "treatment/rems_dashboard.html", {"rows": rows, "today": today})


def rems_form(request: ClinicRequest, form_id: int) -> HttpResponse:
    m = membership_of(request)
    form = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    data = selectors.amended_pmf_data(form)
    missing = selectors.pmf_missing(form, data)
    layout = rems.layout_named(form.layout)
    sources = form.sources or {}
    context = {
        "pmf": form,
        "data": data,
        "layout": layout,
        "rows": [
            {
                "label": rems.FIELD_LABELS.get(k, k),
                "value": v,
                "source": sources.get(k, ""),
                "missing": k in missing,
            }
            for k, v in data.items()
            if k in layout.required or v is not None
        ],
        "missing": [rems.FIELD_LABELS.get(k, k) for k in missing],
        "decision_support": DECISION_SUPPORT,
        "submitted_form": forms.SubmittedForm(),
        "session": form.session,
    }
    return render(request, "treatment/rems_form.html", context)


def rems_form_json(request: ClinicRequest, form_id: int) -> JsonResponse:
    m = membership_of(request)
    form = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    data = selectors.amended_pmf_data(form)
    return JsonResponse(
        {
            "layout": form.layout,
            "session_id": form.session_id,
            "due_date": form.due_date.isoformat(),
            "submitted_at": form.submitted_at.isoformat() if form.submitted_at else None,
            "confirmation_number": form.confirmation_number or None,
            "missing_required_fields": selectors.pmf_missing(form, data),
            "fields": data,
            "filled_by_system_from": form.sources or {},
        }
    )


@require_POST
def rems_submitted(request: ClinicRequest, form_id: int) -> HttpResponse:
    m = membership_of(request)
    pmf = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    form = forms.SubmittedForm(request.POST)
    if form.is_valid():
        done = run_service_with_messages(
            request,
            form,
            lambda: services.rems_form_mark_submitted(
                by=m, form=pmf, confirmation_number=form.cleaned_data["confirmation_number"]
            ),
        )
        if done is not None:
            messages.success(request, "Marked as submitted.")
    else:
        messages.error(request, "Enter the confirmation number.")
    return redirect("treatment:rems_form", form_id=pmf.pk)
