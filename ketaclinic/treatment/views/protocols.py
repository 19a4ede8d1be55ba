"""Protocol pages: the clinic's protocols, copying one from the library, a new protocol, a new
version."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import protocol_forms, selectors, services
from ketaclinic.treatment.domain import ceilings
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.views._common import require

T = TypeVar("T")


def protocol_list(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    protocols = list(selectors.protocols_for_clinic(membership=m))
    copied = {p.library_code for p in protocols}
    context = {
        "protocols": protocols,
        "library": [(k, p) for k, p in SHIPPED_PROTOCOLS.items() if k not in copied],
        "can_manage": m.can(Perm.PROTOCOL_MANAGE),
    }
    return render(request, "treatment/protocol_list.html", context)


@require_POST
def protocol_copy(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    require(m, Perm.PROTOCOL_MANAGE)
    code = request.POST.get("library_code", "")
    # No form on this button: an empty bound form collects the refusal for one message.
    errors = django_forms.Form(data={})
    version = run_service(
        errors, lambda: services.protocol_copy_from_library(by=m, library_code=code)
    )
    if version is None:
        messages.error(request, "; ".join(str(e) for e in errors.non_field_errors()))
        return redirect("treatment:protocols")
    messages.success(request, f"{version.title} copied into the clinic.")
    return redirect("treatment:protocol", protocol_id=version.family_id)


def _protocol_from_form(data: dict[str, Any], base: Any) -> Any:
    """``base`` with every field of the form: the dose, its caps, the infusion time, the
    observation times and the thresholds."""
    dose = dataclasses.replace(
        base.dose,
        usual=data["dose__usual"],
        minimum=data["dose__minimum"],
        maximum=data["dose__maximum"],
        cap=data["dose__cap"],
        cap_total_mg=data.get("dose__cap_total_mg"),
        cap_rate_mg_per_h=data.get("dose__cap_rate_mg_per_h"),
    )
    thresholds = dataclasses.replace(
        base.thresholds,
        **{
            k.split("__", 1)[1]: v
            for k, v in data.items()
            if k.startswith("thresholds__") and v is not None
        },
    )
    return dataclasses.replace(
        base,
        code=data["code"],
        title=data["title"],
        dose=dose,
        thresholds=thresholds,
        infusion_minutes=data.get("infusion_minutes"),
        min_observation_minutes=data["min_observation_minutes"],
        min_observation_minutes_moderate_hepatic=data.get(
            "min_observation_minutes_moderate_hepatic"
        ),
        schedule=protocol_forms.with_steps(base, data),
    )


def _form_field_names(call: Callable[[], T], base: Any) -> T:
    """A protocol's errors name nested fields with dots (``dose.maximum``); the protocol form
    names them with ``__`` (``dose__maximum``), and an ascending-dose phase's errors
    (``schedule[0].dose_steps[1]``, its session count and length) land beside its steps."""
    steps = {
        f"schedule[{i}]": protocol_forms.step_field_name(ph)
        for i, ph in enumerate(base.schedule)
        if ph.dose_steps
    }

    def name(field: str) -> str:
        phase = field.split(".", 1)[0]
        return steps[phase] if phase in steps else field.replace(".", "__")

    try:
        return call()
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        named: dict[str, list[str]] = {}
        for field, errors in exc.message_dict.items():
            named.setdefault(name(field), []).extend(errors)
        raise ValidationError(named) from None


def _template_code(request: ClinicRequest) -> str:
    """The template asked for: the form's "Start from", else ``?start_from=`` (htmx, on
    change) or ``?from=``, else the first shipped protocol."""
    for value in (
        request.POST.get("start_from"),
        request.GET.get("start_from"),
        request.GET.get("from"),
    ):
        if value in SHIPPED_PROTOCOLS:
            return str(value)
    return next(iter(SHIPPED_PROTOCOLS))


def _filled_form(code: str) -> protocol_forms.ProtocolForm:
    """An unbound form holding every value of the template ``code``."""
    base = SHIPPED_PROTOCOLS[code]
    return protocol_forms.ProtocolForm(
        base=base,
        initial={
            **protocol_forms.ProtocolForm.initial_from(base),
            "start_from": code,
            "loaded_from": code,
            "code": f"{base.code}_local",
        },
    )


def _render_form(
    request: ClinicRequest, form: protocol_forms.ProtocolForm, title: str, base: Any
) -> HttpResponse:
    if "start_from" in form.fields:
        # Choosing a template reloads the form with that template's values (htmx, no script).
        form.fields["start_from"].widget.attrs.update(
            {
                "hx-get": reverse("treatment:protocol_create"),
                "hx-trigger": "change",
                "hx-target": "#protocol-form",
                "hx-select": "#protocol-form",
                "hx-swap": "outerHTML",
                "hx-push-url": "true",
            }
        )
    context = {
        "form": form,
        "title": title,
        "base": base,
        "ceilings": ceilings.ceilings_for(base),
    }
    return render(request, "treatment/protocol_form.html", context)


def protocol_create(request: ClinicRequest) -> HttpResponse:
    """A new clinic protocol from a shipped template. Choosing another template ("Start from")
    fills every field with that template's values (htmx reloads the form on change; without
    script, "Load template" does); a form posted with values loaded from another template than
    the one chosen is not saved but reloaded with the chosen one's values."""
    m = membership_of(request)
    require(m, Perm.PROTOCOL_MANAGE)
    start = _template_code(request)
    base = SHIPPED_PROTOCOLS[start]
    if request.method != "POST":
        return _render_form(request, _filled_form(start), "New protocol", base)
    if request.POST.get("action") == "load":
        return _render_form(request, _filled_form(start), "New protocol", base)
    if request.POST.get("loaded_from") != start:
        messages.warning(
            request,
            f"Start from changed to {base.title}: every field now holds its values. "
            "Check them and save again.",
        )
        return _render_form(request, _filled_form(start), "New protocol", base)
    form = protocol_forms.ProtocolForm(request.POST, base=base)
    if form.is_valid():
        d = form.cleaned_data
        protocol = _protocol_from_form(d, base)
        version = run_service(
            form,
            lambda: _form_field_names(
                lambda: services.protocol_create(
                    by=m,
                    protocol=protocol,
                    library_code=start,
                    change_note=d["change_note"],
                ),
                base,
            ),
        )
        if version is not None:
            messages.success(request, f"Protocol {version.title} created.")
            return redirect("treatment:protocol", protocol_id=version.family_id)
    return _render_form(request, form, "New protocol", base)


def protocol_detail(request: ClinicRequest, protocol_id: int) -> HttpResponse:
    m = membership_of(request)
    family = selectors.get_protocol_for_user(membership=m, pk=protocol_id)
    versions = selectors.protocol_versions(family)
    latest = versions[0] if versions else None
    context = {
        "family": family,
        "versions": versions,
        "latest": latest,
        "protocol": latest.protocol if latest else None,
        "can_manage": m.can(Perm.PROTOCOL_MANAGE),
    }
    return render(request, "treatment/protocol_detail.html", context)


def protocol_version_new(request: ClinicRequest, protocol_id: int) -> HttpResponse:
    """A new version starts from the current version: every field holds its value."""
    m = membership_of(request)
    family = selectors.get_protocol_for_user(membership=m, pk=protocol_id)
    require(m, Perm.PROTOCOL_MANAGE)
    base = selectors.latest_version(family).protocol
    form = protocol_forms.ProtocolForm(
        request.POST or None, base=base, initial=protocol_forms.ProtocolForm.initial_from(base)
    )
    del form.fields["start_from"]
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        protocol = _protocol_from_form({**form.cleaned_data, "code": family.code}, base)
        version = run_service(
            form,
            lambda: _form_field_names(
                lambda: services.protocol_new_version(
                    by=m,
                    family=family,
                    protocol=protocol,
                    change_note=form.cleaned_data["change_note"],
                ),
                base,
            ),
        )
        if version is not None:
            messages.success(request, f"Version {version.number} created.")
            return redirect("treatment:protocol", protocol_id=family.pk)
    return _render_form(request, form, f"New version of {family.title}", base)
