"""Scales pages. Thin: fetch through a selector (404 for another clinic), validate, call a service.

The one public page is the self-report questionnaire (``self_report``): reachable without signing in,
rate-limited, and it shows the questionnaire and the clinic's name only, never patient data.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.middleware import clinic_exempt, two_factor_exempt
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib import context as request_context
from ketaclinic.patients.selectors import get_patient_for_user
from ketaclinic.scales import get_definition, selectors, services
from ketaclinic.scales import outcomes as outcome_tables
from ketaclinic.scales.forms import (
    AmendForm,
    ChooseScaleForm,
    LicensedTextForm,
    ScaleForm,
    SelfReportLinkForm,
)
from ketaclinic.scales.models import SelfReportLink
from ketaclinic.scales.scoring import CODES
from ketaclinic.treatment import selectors as treatment_selectors

OUTCOME_CODES = ("phq9", "madrs", "gad7", "qids_sr16", "hamd17")


def response_enter(request: ClinicRequest, pk: UUID) -> HttpResponse:
    """Enter any scale for a patient: choose the scale, then answer its items."""
    membership = membership_of(request)
    patient = get_patient_for_user(membership=membership, pk=pk, perm=Perm.SCALE_RECORD)
    code = request.GET.get("code", "")
    if code not in CODES:
        chooser = ChooseScaleForm(request.GET or None)
        return render(request, "scales/choose.html", {"patient": patient, "form": chooser})
    text = selectors.licensed_text(clinic_id=membership.clinic_id, code=code)
    form = ScaleForm(request.POST or None, code=code, text=text, tz=membership.clinic.tzinfo)
    if request.method == "POST" and form.is_valid():
        response = run_service(
            form,
            lambda: services.scale_response_record(
                by=membership,
                patient=patient,
                code=code,
                answers=form.answers(),
                effective_at=form.cleaned_data["effective_at"],
            ),
        )
        if response is not None:
            messages.success(
                request,
                f"{form.definition.name}: total {response.total:g}."
                if response.total is not None
                else "Saved (incomplete: no total).",
            )
            next_url = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
                return redirect(next_url)  # e.g. back to the session page at the chair
            return redirect("scales:detail", response_id=response.pk)
    return render(
        request,
        "scales/enter.html",
        {"patient": patient, "form": form, "definition": form.definition, "title": "Enter"},
    )


def _sees_answers(membership: Membership) -> bool:
    """Item answers and scores are clinical: for those who record scales. Front desk and clinic
    admin (PATIENT_VIEW only) see that a response exists and when (issue 10, finding 10)."""
    return membership.can(Perm.SCALE_RECORD)


def response_detail(request: ClinicRequest, response_id: int) -> HttpResponse:
    membership = membership_of(request)
    response = selectors.get_response_for_user(
        membership=membership, pk=response_id, perm=Perm.PATIENT_VIEW
    )
    if not _sees_answers(membership):
        context = {"response": response, "patient": response.patient, "clinical": False}
        context["definition"] = get_definition(response.code)
        return render(request, "scales/detail.html", context)
    definition = get_definition(response.code)
    text = selectors.licensed_text(clinic_id=membership.clinic_id, code=response.code)
    items = []
    for index, (item, value) in enumerate(zip(definition.items, response.answers, strict=False)):
        if text is not None:
            label = text.items[index].text
        elif definition.licence == "free" and item.text:
            label = item.text
        else:
            label = ""
        items.append({"id": item.id, "label": label, "value": value})
    versions = list(
        selectors.responses_for_patient(
            membership=membership, patient=response.patient, code=response.code
        ).filter(effective_at=response.effective_at)
    )
    context = {
        "response": response,
        "patient": response.patient,
        "definition": definition,
        "items": items,
        "versions": versions,
        "can_amend": membership.can(Perm.SCALE_RECORD) and response.is_final,
        "clinical": True,
    }
    return render(request, "scales/detail.html", context)


def response_amend(request: ClinicRequest, response_id: int) -> HttpResponse:
    membership = membership_of(request)
    response = selectors.get_response_for_user(
        membership=membership, pk=response_id, perm=Perm.SCALE_RECORD
    )
    text = selectors.licensed_text(clinic_id=membership.clinic_id, code=response.code)
    initial = {
        f"item_{item.id}": value
        for item, value in zip(get_definition(response.code).items, response.answers, strict=False)
    }
    form = AmendForm(request.POST or None, code=response.code, text=text, initial=initial)
    if request.method == "POST" and form.is_valid():
        new = run_service(
            form,
            lambda: services.scale_response_amend(
                by=membership,
                response=response,
                answers=form.answers(),
                reason=form.cleaned_data["reason"],
            ),
        )
        if new is not None:
            messages.success(request, "Correction saved; the earlier version is kept.")
            return redirect("scales:detail", response_id=new.pk)
    return render(
        request,
        "scales/enter.html",
        {
            "patient": response.patient,
            "form": form,
            "definition": form.definition,
            "title": "Correct",
            "response": response,
        },
    )


def link_send(request: ClinicRequest, pk: UUID) -> HttpResponse:
    """Create a self-report link; the page shows its URL once, for staff to send."""
    membership = membership_of(request)
    patient = get_patient_for_user(membership=membership, pk=pk, perm=Perm.SCALE_RECORD)
    choices = [
        (code, get_definition(code).name)
        for code in services.self_report_codes(clinic_id=membership.clinic_id)
    ]
    form = SelfReportLinkForm(request.POST or None, codes=choices)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            form,
            lambda: services.self_report_link_create(
                by=membership, patient=patient, codes=form.cleaned_data["codes"]
            ),
        )
        if created is not None:
            link, token = created
            url = request.build_absolute_uri(reverse("scales:self_report", args=[token]))
            return render(
                request,
                "scales/link_sent.html",
                {"patient": patient, "link": link, "url": url},
            )
    return render(request, "scales/link_form.html", {"patient": patient, "form": form})


def _unavailable(request: ClinicRequest, status: int = 404) -> HttpResponse:
    return render(request, "scales/self_report_unavailable.html", status=status)


@never_cache
@login_not_required
@two_factor_exempt
@clinic_exempt
def self_report(request: ClinicRequest, token: str) -> HttpResponse:
    """The patient's questionnaire page. Shows the clinic's name and the questions, nothing else."""
    if not services.public_request_allowed(client_ip=request_context.current().ip_address):
        return _unavailable(request, status=429)
    link = (
        SelfReportLink.objects.select_related("clinic")
        .filter(token_hash=services.token_hash(token[:100]))
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= timezone.now():
        return _unavailable(request)
    scale_forms = [
        ScaleForm(
            request.POST or None,
            code=code,
            text=selectors.licensed_text(clinic_id=link.clinic_id, code=code),
            prefix=code,
        )
        for code in link.codes
    ]
    if request.method == "POST":
        if not services.self_report_attempt(link=link):
            return _unavailable(request, status=429)
        if all(f.is_valid() for f in scale_forms):
            try:
                services.self_report_submit(
                    link=link, answers={f.definition.code: f.answers() for f in scale_forms}
                )
            except services.LinkUnavailableError:
                return _unavailable(request)
            except ValidationError as error:
                scale_forms[0].add_error(None, error.messages)
            else:
                return render(
                    request, "scales/self_report_done.html", {"clinic_name": link.clinic.name}
                )
    return render(
        request,
        "scales/self_report.html",
        {"clinic_name": link.clinic.name, "forms": scale_forms, "expires_at": link.expires_at},
    )


def outcomes(request: ClinicRequest) -> HttpResponse:
    """Clinic outcomes: response and remission at sessions 2, 4, 6 and weeks 1, 2, 4, 8."""
    membership = membership_of(request)
    if not membership.can(Perm.PATIENT_VIEW) or not membership.can(Perm.ALERT_VIEW):
        raise PermissionDenied
    series = selectors.clinic_outcome_series(clinic_id=membership.clinic_id, codes=OUTCOME_CODES)
    # Courses come from the treatment app (this view composes both; the scales models do not).
    courses = treatment_selectors.outcome_courses(clinic_id=membership.clinic_id)
    tables = []
    empty = []
    for code in OUTCOME_CODES:
        per_patient = series.get(code, {})
        if not per_patient:
            empty.append(get_definition(code))
            continue
        groups = {"All patients": list(per_patient), **courses.groups}
        rows = outcome_tables.outcome_table(
            per_patient, groups, code=code, anchors=courses.session_times
        )
        rows = [row for row in rows if row.patients]
        tables.append({"definition": get_definition(code), "rows": rows})
    context = {
        "tables": tables,
        "empty": empty,
        "labels": outcome_tables.time_point_labels(),
        "tolerance_days": outcome_tables.WEEK_TOLERANCE.days,
    }
    return render(request, "scales/outcomes.html", context)


def text_load(request: ClinicRequest) -> HttpResponse:
    """Clinic admins load the clinic's licensed wording of a licensed scale."""
    membership = membership_of(request)
    if not membership.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    form = LicensedTextForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        loaded = run_service(
            form,
            lambda: services.scale_text_load(
                by=membership, clinic=membership.clinic, data=upload.read(1_000_000)
            ),
        )
        if loaded is not None:
            messages.success(request, f"Licensed text for {loaded.code} loaded.")
            return redirect("scales:text_load")
    loaded_codes = selectors.loaded_texts(clinic_id=membership.clinic_id)
    return render(request, "scales/text_load.html", {"form": form, "loaded": loaded_codes})
