"""Closing a session: discharge, the REMS form's missing fields, the prescriber's signature,
and amendments to the signed record."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import SignatureMeaning
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.views._common import run_service_with_messages
from ketaclinic.treatment.views.session import session_action


@require_POST
def discharge(request: ClinicRequest, session_id: int) -> HttpResponse:
    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="discharge",
        act=lambda m, s, d: services.session_discharge(
            by=m,
            session=s,
            criteria_met=d["criteria"],
            escort=d["escort"],
            note=d["note"],
            minutes_until_ready_without_rule=d.get("minutes_until_ready_without_rule"),
            hcp_phone=d.get("hcp_phone") or "",
            hcp_email=d.get("hcp_email") or "",
        ),
        success="Discharged.",
    )


@require_POST
def rems_fill(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    pmf = selectors.rems_form_for_session(session)
    if pmf is None:
        messages.error(request, "This session has no REMS form.")
        return redirect("treatment:session", session_id=session.pk)
    missing = selectors.pmf_missing(pmf)
    form = forms.PmfFillForm(request.POST, missing=missing)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
        if run_service_with_messages(
            request, form, lambda: services.rems_form_update(by=m, form=pmf, values=values)
        ):
            messages.success(request, "REMS form updated.")
    else:
        for name, errors in form.errors.items():
            label = rems.FIELD_LABELS.get(name, name)
            messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")
    return redirect("treatment:session", session_id=session.pk)


@require_POST
def sign(request: ClinicRequest, session_id: int) -> HttpResponse:
    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_PLAN,
        which="sign",
        act=lambda m, s, d: services.session_sign(
            by=m,
            session=s,
            password=d["password"],
            token=d["token"],
            meaning=SignatureMeaning(d["meaning"]),
        ),
        success="Signed. The session is locked.",
    )


@require_POST
def amend(request: ClinicRequest, session_id: int) -> HttpResponse:
    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="amend",
        act=lambda m, s, d: services.session_amend(
            by=m, session=s, field=d["field"], new_value=d["new_value"], reason=d["reason"]
        ),
        success="Amendment recorded; the signed original is kept.",
    )
