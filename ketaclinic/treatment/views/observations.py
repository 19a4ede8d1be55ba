"""Readings and adverse events during the session."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import SimpleTemplateResponse
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.ops.idempotency import once_per_form
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.views._common import run_service_with_messages
from ketaclinic.treatment.views.session import render_session, session_action


@require_POST
@once_per_form
def observation(request: ClinicRequest, session_id: int) -> HttpResponse:
    """Record one reading. The chair's busiest write, so it builds only its own form; an htmx
    request gets the readings table back, a plain one a redirect (or the page with errors)."""
    m = membership_of(request)
    form = forms.ObservationForm(request.POST, tz=m.clinic.tzinfo)
    if form.is_valid():
        d = form.cleaned_data
        # The service reads the session once, under its row lock, and checks access as
        # get_session_for_user does (404 outside the clinic, 403 without the permission).
        result = run_service_with_messages(
            request,
            form,
            lambda: services.observation_record_by_id(
                by=m,
                session_id=session_id,
                code=d["code"],
                value=d.get("value"),
                systolic_mmhg=d.get("systolic_mmhg"),
                diastolic_mmhg=d.get("diastolic_mmhg"),
                text=d.get("text") or "",
                measured_at=d.get("measured_at"),
            ),
        )
        if result is not None:
            obs, alerts = result
            obs.recorded_by = m.user  # who recorded it: the signed-in user, already loaded
            if request.htmx:
                # Rendered by the handler after the view returns, so after the commit of
                # once_per_form's transaction: the audit chain head's row lock is not held
                # while the row's template renders (issue 15). The row needs only the reading
                # and its alerts: no request context, so none of the page layout's context
                # processors (navigation, messages, clinic) run for it.
                return SimpleTemplateResponse(
                    "treatment/partials/reading.html", {"o": obs, "alerts": alerts}, status=201
                )
            if alerts:
                messages.warning(request, "Alert: " + " ".join(a.message for a in alerts))
            else:
                messages.success(request, "Observation recorded.")
            return redirect("treatment:session", session_id=session_id)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    return render_session(request, m, session, observation_form=form)


@require_POST
@once_per_form
def adverse_event(request: ClinicRequest, session_id: int) -> HttpResponse:
    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="ae",
        act=lambda m, s, d: services.adverse_event_record(by=m, session=s, **d),
        success="Adverse event recorded.",
    )
