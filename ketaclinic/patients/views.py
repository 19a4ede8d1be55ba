"""Registry pages. Thin: parse the form, call a service, render. Every object comes through a selector
that checks the active clinic and the role."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.selectors import open_alerts_for_patient
from ketaclinic.lib.context import note_read
from ketaclinic.patients import forms, selectors, services
from ketaclinic.patients.models import (
    Allergy,
    Diagnosis,
    HeightMeasurement,
    Medication,
    WeightMeasurement,
)
from ketaclinic.scales import selectors as scale_selectors
from ketaclinic.treatment import selectors as treatment_selectors

PAGE_SIZE = 25
SEARCH_MAX = 100  # characters of a search used; a longer one is said to be cut, never silently


def patient_list(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    typed = request.GET.get("q", "")
    query = typed[:SEARCH_MAX]
    patients = selectors.patient_search(membership=membership, query=query)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    for patient in page:  # search results are a read of each patient listed (audited by id)
        note_read(patient, patient.pk)
    context = {
        "page": page,
        "query": query,
        "can_register": membership.can(Perm.PATIENT_REGISTER),
        "search_cut": len(typed) > SEARCH_MAX,
        "search_max": SEARCH_MAX,
    }
    template = "patients/partials/results.html" if request.htmx else "patients/list.html"
    return render(request, template, context)


def patient_create(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    if not membership.can(Perm.PATIENT_REGISTER):
        return render(request, "403.html", status=403)
    form = forms.PatientCreateForm(request.POST or None)
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.PATIENT_FIELDS}
        patient = run_service(
            form,
            lambda: services.patient_create(
                by=membership, different_person=form.cleaned_data["different_person"], **data
            ),
        )
        if patient is not None:
            messages.success(request, f"Patient {patient.full_name} registered.")
            return redirect("patients:detail", pk=patient.pk)
        if "different_person" in form.errors:
            duplicates = selectors.likely_duplicates(
                membership=membership,
                given_name=data["given_name"],
                family_name=data["family_name"],
                date_of_birth=data["date_of_birth"],
            )
    context = {
        "form": form,
        "title": "New patient",
        "duplicates": duplicates,
        "ask_different_person": "different_person" in form.errors
        or form.data.get("different_person"),
    }
    return render(request, "patients/form.html", context)


def patient_detail(request: ClinicRequest, pk: UUID) -> HttpResponse:
    membership = membership_of(request)
    patient = selectors.get_patient_for_user(membership=membership, pk=pk, perm=Perm.PATIENT_VIEW)
    context = {
        "chart": selectors.patient_chart(patient=patient),
        "patient": patient,
        "can_edit_clinical": membership.can(Perm.PATIENT_CLINICAL_EDIT),
        "can_register": membership.can(Perm.PATIENT_REGISTER),
        "open_alerts": open_alerts_for_patient(membership=membership, patient=patient),
        "can_acknowledge": membership.can(Perm.ALERT_ACKNOWLEDGE),
        **scale_selectors.patient_chart_context(
            membership=membership,
            patient=patient,
            session_times=treatment_selectors.dosed_session_times(patient=patient),
        ),
        **treatment_selectors.patient_chart_context(membership=membership, patient=patient),
    }
    return render(request, "patients/detail.html", context)


def patient_edit(request: ClinicRequest, pk: UUID) -> HttpResponse:
    membership = membership_of(request)
    patient = selectors.get_patient_for_user(
        membership=membership, pk=pk, perm=Perm.PATIENT_REGISTER
    )
    form = forms.PatientEditForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        original = selectors.get_patient_for_user(
            membership=membership, pk=pk, perm=Perm.PATIENT_REGISTER
        )
        data = {f: form.cleaned_data[f] for f in services.PATIENT_FIELDS}
        updated = run_service(
            form,
            lambda: services.patient_update(
                by=membership, patient=original, reason=form.cleaned_data["reason"], **data
            ),
        )
        if updated is not None:
            messages.success(request, "Patient record updated.")
            return redirect("patients:detail", pk=updated.pk)
    context = {"form": form, "title": f"Edit {patient.full_name}", "patient": patient}
    return render(request, "patients/form.html", context)


def _entry_page(
    request: ClinicRequest, pk: UUID, form_class: type[Any], title: str, save: Any
) -> HttpResponse:
    """The shared shape of 'add a chart entry': fetch the patient, validate, call the service."""
    membership = membership_of(request)
    patient = selectors.get_patient_for_user(
        membership=membership, pk=pk, perm=Perm.PATIENT_CLINICAL_EDIT
    )
    kwargs: dict[str, Any] = {}
    if issubclass(form_class, forms._MeasurementForm):
        kwargs["tz"] = membership.clinic.tzinfo
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        result = run_service(form, lambda: save(membership, patient, form.cleaned_data))
        if result is not None:
            messages.success(request, f"{title} saved.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request, "patients/entry_form.html", {"form": form, "title": title, "patient": patient}
    )


def weight_add(request: ClinicRequest, pk: UUID) -> HttpResponse:
    return _entry_page(
        request,
        pk,
        forms.WeightForm,
        "Weight",
        lambda m, p, d: services.weight_record(
            by=m, patient=p, value=d["value"], unit=d["unit"], measured_at=d["measured_at"]
        ),
    )


def height_add(request: ClinicRequest, pk: UUID) -> HttpResponse:
    return _entry_page(
        request,
        pk,
        forms.HeightForm,
        "Height",
        lambda m, p, d: services.height_record(
            by=m, patient=p, value=d["value"], unit=d["unit"], measured_at=d["measured_at"]
        ),
    )


def diagnosis_add(request: ClinicRequest, pk: UUID) -> HttpResponse:
    return _entry_page(
        request,
        pk,
        forms.DiagnosisForm,
        "Diagnosis",
        lambda m, p, d: services.diagnosis_record(by=m, patient=p, **d),
    )


def allergy_add(request: ClinicRequest, pk: UUID) -> HttpResponse:
    return _entry_page(
        request,
        pk,
        forms.AllergyForm,
        "Allergy",
        lambda m, p, d: services.allergy_record(by=m, patient=p, **d),
    )


def medication_add(request: ClinicRequest, pk: UUID) -> HttpResponse:
    return _entry_page(
        request,
        pk,
        forms.MedicationForm,
        "Medication",
        lambda m, p, d: services.medication_record(by=m, patient=p, **d),
    )


_CORRECTABLE: dict[str, tuple[type[Any], type[Any], Any]] = {
    "weight": (WeightMeasurement, forms.WeightCorrectionForm, services.weight_record),
    "height": (HeightMeasurement, forms.HeightCorrectionForm, services.height_record),
}
_WITHDRAWABLE: dict[str, type[Diagnosis | Allergy | Medication]] = {
    "diagnosis": Diagnosis,
    "allergy": Allergy,
    "medication": Medication,
}


def measurement_correct(request: ClinicRequest, kind: str, entry_id: int) -> HttpResponse:
    membership = membership_of(request)
    if kind not in _CORRECTABLE:
        return render(request, "404.html", status=404)
    model, form_class, record = _CORRECTABLE[kind]
    entry = selectors.get_chart_entry_for_user(
        membership=membership, model=model, pk=entry_id, perm=Perm.PATIENT_CLINICAL_EDIT
    )
    form = form_class(request.POST or None, tz=membership.clinic.tzinfo)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = run_service(
            form,
            lambda: record(
                by=membership,
                patient=entry.patient,
                value=d["value"],
                unit=d["unit"],
                measured_at=d["measured_at"],
                replaces=entry,
                reason=d["reason"],
            ),
        )
        if result is not None:
            messages.success(request, f"{kind.title()} corrected; the earlier value is kept.")
            return redirect("patients:detail", pk=entry.patient_id)
    context = {
        "form": form,
        "title": f"Correct {kind} ({entry})",
        "patient": entry.patient,
    }
    return render(request, "patients/entry_form.html", context)


def entry_in_error(request: ClinicRequest, kind: str, entry_id: int) -> HttpResponse:
    membership = membership_of(request)
    if kind not in _WITHDRAWABLE:
        return render(request, "404.html", status=404)
    entry = selectors.get_chart_entry_for_user(
        membership=membership,
        model=_WITHDRAWABLE[kind],
        pk=entry_id,
        perm=Perm.PATIENT_CLINICAL_EDIT,
    )
    form = forms.InErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: (
                services.chart_entry_mark_in_error(
                    by=membership, entry=entry, reason=form.cleaned_data["reason"]
                )
                or True
            ),
        )
        if done:
            messages.success(request, f"{kind.title()} marked as entered in error.")
            return redirect("patients:detail", pk=entry.patient_id)
    context = {"form": form, "title": f"Withdraw {kind} {entry}", "patient": entry.patient}
    return render(request, "patients/entry_form.html", context)


@require_POST
def medication_stop(request: ClinicRequest, entry_id: int) -> HttpResponse:
    membership = membership_of(request)
    medication = selectors.get_chart_entry_for_user(
        membership=membership, model=Medication, pk=entry_id, perm=Perm.PATIENT_CLINICAL_EDIT
    )
    form = forms.MedicationStopForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        result = run_service(
            form,
            lambda: services.medication_stop(
                by=membership,
                medication=medication,
                stopped_on=d["stopped_on"],
                reason=d["reason"],
            ),
        )
        if result is not None:
            messages.success(request, f"{medication.name} recorded as stopped.")
            return redirect("patients:detail", pk=medication.patient_id)
    messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("patients:detail", pk=medication.patient_id)
