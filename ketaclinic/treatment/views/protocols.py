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
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import forms, selectors, services
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
    dose = dataclasses.replace(
        base.dose,
        usual=data["dose__usual"],
        minimum=data["dose__minimum"],
        maximum=data["dose__maximum"],
        cap=data["dose__cap"],
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
        min_observation_minutes=data["min_observation_minutes"],
    )


def _form_field_names(call: Callable[[], T]) -> T:
    """A protocol's errors name nested fields with dots (``dose.maximum``); the protocol form
    names them with ``__`` (``dose__maximum``)."""
    try:
        return call()
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {field.replace(".", "__"): errors for field, errors in exc.message_dict.items()}
        ) from None


def protocol_create(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    require(m, Perm.PROTOCOL_MANAGE)
    start = request.GET.get("from") or next(iter(SHIPPED_PROTOCOLS))
    base = SHIPPED_PROTOCOLS.get(start) or next(iter(SHIPPED_PROTOCOLS.values()))
    form = forms.ProtocolForm(
        request.POST or None,
        initial={
            **forms.ProtocolForm.initial_from(base),
            "start_from": start,
            "code": f"{base.code}_local",
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        protocol = _protocol_from_form(d, SHIPPED_PROTOCOLS[d["start_from"]])
        version = run_service(
            form,
            lambda: _form_field_names(
                lambda: services.protocol_create(
                    by=m,
                    protocol=protocol,
                    library_code=d["start_from"],
                    change_note=d["change_note"],
                )
            ),
        )
        if version is not None:
            messages.success(request, f"Protocol {version.title} created.")
            return redirect("treatment:protocol", protocol_id=version.family_id)
    return render(request, "treatment/protocol_form.html", {"form": form, "title": "New protocol"})


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
    m = membership_of(request)
    family = selectors.get_protocol_for_user(membership=m, pk=protocol_id)
    require(m, Perm.PROTOCOL_MANAGE)
    base = selectors.latest_version(family).protocol
    form = forms.ProtocolForm(
        request.POST or None,
        initial={**forms.ProtocolForm.initial_from(base), "start_from": family.library_code},
    )
    form.fields["start_from"].required = False
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
                )
            ),
        )
        if version is not None:
            messages.success(request, f"Version {version.number} created.")
            return redirect("treatment:protocol", protocol_id=family.pk)
    title = f"New version of {family.title}"
    return render(request, "treatment/protocol_form.html", {"form": form, "title": title})
