"""The clinic admin's screening settings (how long a screening stays valid, the level of each
relative rule) and the clinic's SPRAVATO REMS setting certification."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.screening import forms, rules, selectors, services


def _admin(request: ClinicRequest) -> Membership:
    m = membership_of(request)
    if not m.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    return m


def _cert_initial(m: Membership) -> dict[str, object]:
    c = m.clinic
    oximeter = c.rems_pulse_oximeter_on_site
    return {
        "setting_id": c.rems_setting_id,
        "certified_on": c.rems_certified_on,
        "pulse_oximeter_on_site": "" if oximeter is None else ("yes" if oximeter else "no"),
        "authorised_representative": c.rems_authorised_representative,
    }


def _page(
    request: ClinicRequest,
    m: Membership,
    policy_form: forms.PolicyForm,
    cert_form: forms.RemsCertificationForm,
    status: int = 200,
) -> HttpResponse:
    hard = [r for r in rules.DEFAULT_RULESET.rules if not r.configurable]
    context = {
        "policy_form": policy_form,
        "cert_form": cert_form,
        "hard_rules": [(forms.rule_title(r.rule_id), r) for r in hard],
        "ruleset_version": rules.VERSION,
        "clinic": m.clinic,
    }
    return render(request, "screening/settings.html", context, status=status)


def _policy_form(m: Membership, data: object = None) -> forms.PolicyForm:
    valid_days, levels = selectors.clinic_policy(clinic_id=m.clinic_id)
    return forms.PolicyForm(data, levels=levels, initial={"valid_days": valid_days})


def screening_settings(request: ClinicRequest) -> HttpResponse:
    m = _admin(request)
    policy_form = _policy_form(m, request.POST or None)
    if request.method == "POST" and policy_form.is_valid():
        done = run_service(
            policy_form,
            lambda: services.screening_policy_set(
                by=m,
                valid_days=policy_form.cleaned_data["valid_days"],
                rule_levels=policy_form.levels(),
            ),
        )
        if done is not None:
            messages.success(request, "Screening settings saved.")
            return redirect("screening:settings")
    cert_form = forms.RemsCertificationForm(initial=_cert_initial(m))
    return _page(request, m, policy_form, cert_form, 400 if request.method == "POST" else 200)


@require_POST
def rems_certification(request: ClinicRequest) -> HttpResponse:
    m = _admin(request)
    form = forms.RemsCertificationForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = run_service(
            form,
            lambda: services.rems_certification_set(
                by=m,
                setting_id=d["setting_id"],
                certified_on=d["certified_on"],
                pulse_oximeter_on_site=form.oximeter(),
                authorised_representative=d["authorised_representative"],
                reason=d["reason"],
            ),
        )
        if done is not None:
            messages.success(request, "REMS certification saved.")
            return redirect("screening:settings")
    return _page(request, m, _policy_form(m), form, status=400)
