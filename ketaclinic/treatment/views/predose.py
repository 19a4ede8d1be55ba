"""Before dosing: the pre-dose checklist (with the baseline vitals) and a prescriber's decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.models import TreatmentSession
from ketaclinic.treatment.views._common import run_service_with_messages
from ketaclinic.treatment.views.session import session_action


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@require_POST
def checklist(request: ClinicRequest, session_id: int) -> HttpResponse:
    def act(m: Membership, s: TreatmentSession, d: dict[str, Any]) -> Any:
        blockers = services.checklist_record(
            by=m,
            session=s,
            fasting_confirmed=d["fasting_confirmed"],
            ride_home_confirmed=d["ride_home_confirmed"],
            nasal_medication_timing_ok=_yes_no(d["nasal_medication_timing_ok"]),
            pregnancy_status=d["pregnancy_status"],
            scales_reviewed=d["scales_reviewed"],
            systolic_mmhg=d["systolic_mmhg"],
            diastolic_mmhg=d["diastolic_mmhg"],
            heart_rate=d["heart_rate"],
            spo2=d["spo2"],
            moaa_s=d["moaa_s"],
            respiratory_rate=d["respiratory_rate"],
            notes=d["notes"],
        )
        return "Checklist recorded. Dosing waits for: " + " ".join(blockers) if blockers else True

    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="checklist",
        act=act,
        success="Checklist recorded: ready to dose.",
    )


@require_POST
def checklist_again(request: ClinicRequest, session_id: int) -> HttpResponse:
    """Record the checklist's answers again before dosing, with a reason."""

    def act(m: Membership, s: TreatmentSession, d: dict[str, Any]) -> Any:
        blockers = services.checklist_rerecord(
            by=m,
            session=s,
            reason=d["reason"],
            fasting_confirmed=d["fasting_confirmed"],
            ride_home_confirmed=d["ride_home_confirmed"],
            nasal_medication_timing_ok=_yes_no(d["nasal_medication_timing_ok"]),
            pregnancy_status=d["pregnancy_status"],
            scales_reviewed=d["scales_reviewed"],
            notes=d["notes"],
        )
        return (
            "Checklist recorded again. Dosing waits for: " + " ".join(blockers)
            if blockers
            else True
        )

    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="checklist_again",
        act=act,
        success="Checklist recorded again: ready to dose.",
    )


@require_POST
def decision(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=Perm.TREATMENT_PLAN)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = run_service_with_messages(
            request,
            form,
            lambda: services.prescriber_decision_record(
                by=m,
                session=session,
                kind=d["kind"],
                outcome=d["outcome"],
                reason=d["reason"],
                subject=d["subject"],
            ),
        )
        if done is not None:
            messages.success(request, "Decision recorded.")
    else:
        messages.error(request, "Write the reason for the decision.")
    return redirect("treatment:session", session_id=session.pk)
