"""The session at the chair: the page, check-in, and what every form posted from the page
shares (re-render with the errors, or redirect back)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.domain.protocol import Drug
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS
from ketaclinic.treatment.models import TreatmentSession
from ketaclinic.treatment.selectors.dose import session_step
from ketaclinic.treatment.selectors.session_page import session_page
from ketaclinic.treatment.views._common import errors_as_messages, run_service_with_messages


def _checklist_initial(session: TreatmentSession) -> dict[str, Any]:
    """The recorded answers, to start the form that records them again."""
    c = getattr(session, "checklist", None)
    if c is None:
        return {}
    nasal = {True: "yes", False: "no", None: ""}[c.nasal_medication_timing_ok]
    return {
        "fasting_confirmed": c.fasting_confirmed,
        "ride_home_confirmed": c.ride_home_confirmed,
        "nasal_medication_timing_ok": nasal,
        "pregnancy_status": c.pregnancy_status,
        "scales_reviewed": c.scales_reviewed,
        "notes": c.notes,
    }


def session_forms(
    m: Membership,
    session: TreatmentSession,
    data: Any = None,
    which: str = "",
    *,
    suggested_dose_mg: Decimal | None = None,
    amend_field: str | None = None,
    record_code: str | None = None,
) -> dict[str, Any]:
    """The page's forms by context name; the one named ``which`` bound to ``data``.
    ``suggested_dose_mg`` (from the page) starts an unbound esketamine dose form."""
    tz = m.clinic.tzinfo
    protocol = session.protocol_version.protocol
    esk = protocol.drug is Drug.ESKETAMINE

    def bound(name: str) -> Any:
        return data if which == name else None

    dose_initial: dict[str, Any] = {}
    if protocol.devices is not None and not esk:  # intranasal racemic sprays
        dose_initial["dose_mg"] = str(protocol.dose.usual)
    elif not esk:
        step = session_step(session)  # an ascending-dose phase: this session's step
        dose_initial["amount"] = step[1] if step and step[1] is not None else protocol.dose.usual
    elif suggested_dose_mg is not None:
        dose_initial["dose_mg"] = str(int(suggested_dose_mg))
    return {
        "check_in_form": forms.CheckInForm(bound("check_in"), initial={"chair": session.chair}),
        "checklist_form": forms.ChecklistForm(
            bound("checklist"),
            initial={"pregnancy_status": "not_applicable"},
        ),
        "checklist_again_form": forms.ChecklistAgainForm(
            bound("checklist_again"), initial=_checklist_initial(session)
        ),
        "dose_form": forms.DoseForm(
            bound("dose"),
            tz=tz,
            esketamine=esk,
            devices=protocol.devices,
            device_doses_mg=protocol.dose.fixed_doses_mg,
            initial=dose_initial,
        ),
        "observation_form": forms.ObservationForm(bound("observation"), tz=tz, prefill=record_code),
        "ae_form": forms.AdverseEventForm(bound("ae")),
        "discharge_form": forms.DischargeForm(
            bound("discharge"),
            criteria=[(c.code, c.text) for c in protocol.discharge_criteria],
            esketamine=esk,
            initial={"hcp_email": m.user.email},
        ),
        "sign_form": forms.SignForm(bound("sign")),
        "amend_form": forms.AmendForm(bound("amend"), field=amend_field),
    }


def render_session(
    request: ClinicRequest, m: Membership, session: TreatmentSession, **overrides: Any
) -> HttpResponse:
    """The session page: the selector's page object, its forms, and ``overrides`` (bound forms
    with their errors, a dose preview)."""
    page = session_page(membership=m, session=session)
    context = page.context()
    context["pmf_fill_form"] = (
        forms.PmfFillForm(missing=page.pmf_missing) if page.pmf_missing else None
    )
    context.update(
        session_forms(
            m,
            session,
            suggested_dose_mg=page.suggested_dose_mg,
            amend_field=request.GET.get("amend") if request.method == "GET" else None,
            record_code=request.GET.get("record") if request.method == "GET" else None,
        )
    )
    context["amend_fields"] = sorted(AMENDABLE_FIELDS.items(), key=lambda kv: kv[1])
    context.update(overrides)
    return render(request, "treatment/session.html", context)


def session_detail(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id)
    return render_session(request, m, session)


def session_action(
    request: ClinicRequest,
    session_id: int,
    *,
    perm: Perm,
    which: str,
    act: Callable[[Membership, TreatmentSession, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """POST a form of the session page: on success redirect back (a returned string is shown
    as a warning), else re-render the page with the errors."""
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=perm)
    bound = session_forms(m, session, request.POST, which)
    form = next(f for f in bound.values() if f.is_bound)
    valid = form.is_valid()
    if valid:
        result = run_service_with_messages(
            request, form, lambda: act(m, session, form.cleaned_data)
        )
        if result is not None:
            if isinstance(result, str):
                messages.warning(request, result)
            elif success:
                messages.success(request, success)
            if not selectors.can_run_sessions(m):
                return redirect("home")
            return redirect("treatment:session", session_id=session.pk)
    if not selectors.can_run_sessions(m):
        # A role that may do this (front desk checking in) but not read the session page gets its
        # errors as messages, never the page: a failed POST is not a way around the page's 403.
        errors_as_messages(request, form, form_level=not valid)
        return redirect("home")
    session.refresh_from_db()
    return render_session(request, m, session, **{k: v for k, v in bound.items() if v.is_bound})


@require_POST
def session_check_in(request: ClinicRequest, session_id: int) -> HttpResponse:
    return session_action(
        request,
        session_id,
        perm=Perm.SCHEDULE_MANAGE,
        which="check_in",
        act=lambda m, s, d: services.session_check_in(by=m, session=s, chair=d["chair"]),
        success="Checked in.",
    )
