"""Screening pages: a patient's screenings and REMS enrolment, a new screening, a decision with
its findings (and the prescriber's signed override of relative rules), the REMS enrolment form.
Top layer: the intended protocol comes from treatment's selectors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors import get_patient_for_user
from ketaclinic.scales.selectors import responses_for_patient
from ketaclinic.screening import forms, rules, selectors, services
from ketaclinic.screening.models import Screening
from ketaclinic.treatment.selectors.protocols import active_versions


def _require(m: Membership, perm: Perm) -> None:
    if not m.can(perm):
        raise PermissionDenied


def patient_screenings(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    patient = get_patient_for_user(membership=m, pk=pk, perm=Perm.PATIENT_VIEW)
    return render(
        request,
        "screening/patient.html",
        {
            "patient": patient,
            "screenings": selectors.screenings_for_patient(patient=patient),
            "rems": selectors.rems_enrolment(patient=patient),
            "can_screen": m.can(Perm.SCREENING_RECORD),
            "can_enrol_rems": m.can(Perm.TREATMENT_PLAN),
        },
    )


def _scale_choices(m: Membership, patient: Patient) -> list[tuple[int, str]]:
    return [
        (r.pk, f"{r.code.upper()} {r.total} ({r.effective_at:%Y-%m-%d})")
        for r in responses_for_patient(membership=m, patient=patient)[:20]
    ]


def screening_new(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    patient = get_patient_for_user(membership=m, pk=pk, perm=Perm.PATIENT_VIEW)
    _require(m, Perm.SCREENING_RECORD)
    versions = {v.pk: v for v in active_versions(membership=m)}
    form = forms.ScreeningForm(
        request.POST or None,
        versions=[(v.pk, v.family.title) for v in versions.values()],
        scales=_scale_choices(m, patient),
    )
    trials = forms.PriorTrialFormSet(request.POST or None, prefix="trial")
    if request.method == "POST" and form.is_valid() and trials.is_valid():
        d = form.cleaned_data
        version = versions[d["version"]]
        trial_inputs = [
            services.TrialInput(
                drug=t["drug"],
                dose_mg_per_day=t["dose_mg_per_day"],
                weeks=t["weeks"],
                adequate=t["adequate"],
                response=t["response"],
                current_episode=t["current_episode"],
            )
            for t in trials.cleaned_data
            if t.get("drug")
        ]
        screening = run_service(
            form,
            lambda: services.screening_record(
                by=m,
                patient=patient,
                protocol_code=version.family.code,
                protocol_title=version.family.title,
                drug=str(version.protocol.drug),
                indication=version.protocol.indication,
                diagnosis_icd10=d["diagnosis_icd10"],
                diagnosis_text=d["diagnosis_text"],
                answers=form.answers(),
                trials=trial_inputs,
                psychotherapy_history=d["psychotherapy_history"],
                substance_screen=d["substance_screen"],
                substance_screen_score=d["substance_screen_score"],
                bp_measured_at=d["bp_measured_at"],
                baseline_scale_ids=d["baseline_scales"],
                notes=d["notes"],
            ),
        )
        if screening is not None:
            return redirect("screening:detail", screening_id=screening.pk)
    return render(
        request,
        "screening/new.html",
        {"patient": patient, "form": form, "trials": trials, "has_versions": bool(versions)},
    )


def _detail_context(m: Membership, screening: Screening, override_form: Any) -> dict[str, Any]:
    decision = screening.decision
    facts = [
        {
            "label": fact.label,
            "value": screening.facts.get(name),
            "filled": screening.filled.get(name, ""),
        }
        for name, fact in rules.FACTS.items()
    ]
    return {
        "screening": screening,
        "patient": screening.patient,
        "decision": decision,
        "facts": facts,
        "trials": list(screening.trials.all()),
        "scales": list(screening.baseline_scales.all()),
        "medications": selectors.medication_classes(patient=screening.patient),
        "can_override": m.can(Perm.TREATMENT_PLAN)
        and decision.outcome == "not_eligible"
        and not decision.has_hard_finding
        and not decision.overridden,
        "override_form": override_form,
    }


def screening_detail(request: ClinicRequest, screening_id: int) -> HttpResponse:
    m = membership_of(request)
    screening = selectors.get_screening_for_user(
        membership=m, pk=screening_id, perm=Perm.PATIENT_VIEW
    )
    return render(
        request,
        "screening/detail.html",
        _detail_context(m, screening, forms.OverrideForm()),
    )


@require_POST
def screening_override(request: ClinicRequest, screening_id: int) -> HttpResponse:
    m = membership_of(request)
    screening = selectors.get_screening_for_user(
        membership=m, pk=screening_id, perm=Perm.PATIENT_VIEW
    )
    _require(m, Perm.TREATMENT_PLAN)
    form = forms.OverrideForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = run_service(
            form,
            lambda: services.eligibility_override(
                by=m,
                decision=screening.decision,
                justification=d["justification"],
                password=d["password"],
                token=d["token"],
            ),
        )
        if done is not None:
            messages.success(request, "Override signed and recorded.")
            return redirect("screening:detail", screening_id=screening.pk)
    return render(request, "screening/detail.html", _detail_context(m, screening, form), status=400)


def rems_enrol(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    patient = get_patient_for_user(membership=m, pk=pk, perm=Perm.PATIENT_VIEW)
    _require(m, Perm.TREATMENT_PLAN)
    form = forms.RemsEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = run_service(
            form,
            lambda: services.rems_patient_enrol(
                by=m,
                patient=patient,
                enrolled_on=d["enrolled_on"],
                rems_patient_id=d["rems_patient_id"],
            ),
        )
        if done is not None:
            messages.success(request, "REMS enrolment recorded.")
            return redirect("screening:patient", pk=patient.pk)
    return render(request, "screening/rems_enrol.html", {"patient": patient, "form": form})
