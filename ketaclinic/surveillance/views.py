"""Surveillance pages: a patient's surveillance (exposure, blood-pressure trend, items due, what
was done, misuse flags for prescribers), recording an item, marking a record in error, the clinic
safety page and the clinic's surveillance settings. Thin: selectors, services and forms."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.patients.models import Patient
from ketaclinic.surveillance import forms, selectors, services
from ketaclinic.surveillance.models import SurveillanceRecord
from ketaclinic.surveillance.rules.due import DEFAULT_POLICY, SOURCES
from ketaclinic.surveillance.rules.indicators import DEFAULT_THRESHOLDS, WATCH_SOURCE


def _patient_page(
    request: ClinicRequest,
    m: Membership,
    patient: Patient,
    form: forms.RecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = selectors.patient_surveillance(membership=m, patient=patient)
    can_record = m.can(services.RECORD_PERM)
    return render(
        request,
        "surveillance/patient.html",
        {
            "patient": patient,
            "page": page,
            "can_record": can_record,
            "form": form or (forms.RecordForm() if can_record else None),
            "in_error_form": forms.InErrorForm(),
        },
        status=status,
    )


def patient(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    found = selectors.get_patient_for_surveillance(membership=m, pk=pk)
    if request.method != "POST":
        return _patient_page(request, m, found)
    if not m.can(services.RECORD_PERM):
        raise PermissionDenied
    form = forms.RecordForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        record = run_service(
            form,
            lambda: services.surveillance_record(
                by=m,
                patient=found,
                kind=d["kind"],
                done_on=d["done_on"],
                result=d["result"],
                note=d["note"],
            ),
        )
        if record is not None:
            messages.success(request, f"Recorded: {record.get_kind_display()}.")
            return redirect("surveillance:patient", pk=found.pk)
    return _patient_page(request, m, found, form, status=400)


@require_POST
def record_in_error(request: ClinicRequest, record_id: int) -> HttpResponse:
    m = membership_of(request)
    record = (
        SurveillanceRecord.objects.select_related("patient__clinic")
        .filter(pk=record_id, clinic_id=m.clinic_id)
        .first()
    )
    if record is None:
        raise Http404
    if not (selectors.can_read_surveillance(m) and m.can(services.RECORD_PERM)):
        raise PermissionDenied
    note_read(record, record.patient_id)
    form = forms.InErrorForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.surveillance_mark_in_error(
                by=m, record=record, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, "Marked entered in error; the record stays visible.")
            return redirect("surveillance:patient", pk=record.patient_id)
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    messages.error(request, f"Not marked in error: {errors or 'give a reason'}.")
    return redirect("surveillance:patient", pk=record.patient_id)


def safety(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    page = selectors.clinic_safety(membership=m)
    return render(
        request,
        "surveillance/safety.html",
        {"page": page, "can_manage": m.can(Perm.CLINIC_MANAGE)},
    )


def settings_page(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    if not m.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    _, _, row = selectors.clinic_settings(clinic_id=m.clinic_id)
    initial = {
        "urinary_interval_weeks": DEFAULT_POLICY.urinary_interval_weeks,
        "liver_interval_weeks": DEFAULT_POLICY.liver_interval_weeks,
        "induction_weeks": DEFAULT_POLICY.induction_weeks,
        "review_interval_weeks": DEFAULT_POLICY.review_interval_weeks,
        "escalation_percent": DEFAULT_THRESHOLDS.escalation_percent,
    }
    if row is not None:
        initial = {name: getattr(row, name) for name in services.POLICY_FIELDS}
    form = forms.PolicyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            saved = run_service(
                form, lambda: services.surveillance_policy_set(by=m, values=form.cleaned_data)
            )
            if saved is not None:
                messages.success(request, "Surveillance settings saved.")
                return redirect("surveillance:settings")
        status = 400
    return render(
        request,
        "surveillance/settings.html",
        {"form": form, "sources": SOURCES.items(), "watch_source": WATCH_SOURCE},
        status=status,
    )
