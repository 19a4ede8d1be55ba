"""Research pages. Thin: fetch through selectors (404 for another clinic, 403 for a role without
the permission), then render.

``scale_response_fhir`` moved here from scales with the FHIR builders (issue 13): the URL keeps
its name ``scales:fhir``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.research.analytics import MIN_CELL, Filters, filter_choices
from ketaclinic.research.fhir import observations, questionnaire_response, validated
from ketaclinic.research.forms import CohortForm
from ketaclinic.research.summary import figures_at
from ketaclinic.research.summary_refresh import summary_refresh_request, summary_state
from ketaclinic.scales import get_definition, score
from ketaclinic.scales import selectors as scale_selectors


def scale_response_fhir(request: ClinicRequest, response_id: int) -> HttpResponse:
    """FHIR R4 Bundle (collection) of the QuestionnaireResponse and its Observations."""
    membership = membership_of(request)
    response = scale_selectors.get_response_for_user(
        membership=membership, pk=response_id, perm=Perm.PATIENT_VIEW
    )
    # Item answers and scores are clinical: for those who record scales (issue 10, finding 10).
    if not membership.can(Perm.SCALE_RECORD):
        raise PermissionDenied
    qr_id = f"scaleresponse-{response.pk}"
    subject = f"Patient/{response.patient_id}"
    answers = list(response.answers)
    qr = questionnaire_response(
        response.code,
        answers,
        subject=subject,
        authored=response.effective_at,
        resource_id=qr_id,
        status="completed" if response.is_final else "amended",
    )
    found = observations(
        response.code,
        answers,
        score(response.code, answers),
        subject=subject,
        authored=response.effective_at,
        questionnaire_response_ref=f"QuestionnaireResponse/{qr_id}",
    )
    bundle = validated(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in (qr, *found)],
        }
    )
    http = HttpResponse(json.dumps(bundle, indent=2), content_type="application/fhir+json")
    http["Content-Disposition"] = f'attachment; filename="{qr_id}.fhir.json"'
    return http


def cohort_page(request: ClinicRequest) -> HttpResponse:
    """Cohort analytics: aggregates of the clinic's courses, never a row about one patient."""
    membership = membership_of(request)
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    form = CohortForm(request.GET or None, choices=filter_choices(membership))
    result = as_of = None
    filters = Filters()
    state = summary_state(membership.clinic_id)
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        filters = Filters(**{k: v for k, v in data.items() if v not in (None, "")})
        today = timezone.now().astimezone(membership.clinic.tzinfo).date()
        result, as_of = figures_at(membership, filters, today, state.refreshed_at)
    context = {
        "form": form,
        "result": result,
        "as_of": as_of,
        "summary": state,
        "filters_query": request.GET.urlencode(),
        "scale_name": get_definition(filters.scale).name,
        "min_cell": MIN_CELL,
        "suppressed_sections": (
            "Exposure",
            "Response and remission by session number",
            "Response and remission by week",
            "Adverse events",
        ),
    }
    return render(request, "research/cohort.html", context)


@require_POST
def cohort_refresh(request: ClinicRequest) -> HttpResponse:
    """ "Refresh now": queue a rebuild of the clinic's summary (one pending per clinic), then back
    to the page with the same filters."""
    membership = membership_of(request)
    if not membership.can(Perm.RESEARCH_VIEW):
        raise PermissionDenied
    try:
        summary_refresh_request(by=membership)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, "Refresh queued: the figures are rebuilt in the background.")
    query = request.POST.get("filters", "")
    url = reverse("research:cohort")
    return redirect(f"{url}?{query}" if query else url)
