"""The shift or daily count of a location and the discrepancy workflow."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import CountKind
from ketaclinic.inventory.stock import containers_in_stock
from ketaclinic.inventory.views._common import require
from ketaclinic.ops.idempotency import once_per_form


@once_per_form
def count(request: ClinicRequest, location_id: int) -> HttpResponse:
    """Count every container in stock at a location: the form shows no expected quantities
    (a blind count); the result page compares."""
    m = membership_of(request)
    location = selectors.get_location_for_user(membership=m, pk=location_id, perm=Perm.STOCK_HANDLE)
    containers = list(containers_in_stock(clinic_id=m.clinic_id, location_id=location.pk))
    form = forms.CountForm(request.POST or None, containers=containers)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.count_record(
                by=m,
                location=location,
                kind=CountKind(form.cleaned_data["kind"]),
                counted=form.counted(),
            ),
        )
        if done is not None:
            return redirect("inventory:count_detail", count_id=done.pk)
    return render(request, "inventory/count.html", {"form": form, "location": location})


def count_detail(request: ClinicRequest, count_id: int) -> HttpResponse:
    m = membership_of(request)
    c = selectors.get_count_for_user(membership=m, pk=count_id)
    lines = c.lines.select_related("container", "container__product", "resolved_by", "adjustment")
    context = {
        "count": c,
        "lines": lines,
        "resolve_form": forms.ResolveForm(),
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/count_detail.html", context)


@require_POST
@once_per_form
def resolve(request: ClinicRequest, line_id: int) -> HttpResponse:
    m = membership_of(request)
    line = selectors.get_count_line_for_user(membership=m, pk=line_id, perm=Perm.STOCK_MANAGE)
    require(m, Perm.STOCK_MANAGE)
    form = forms.ResolveForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.discrepancy_resolve(
                by=m,
                line=line,
                investigation_note=form.cleaned_data["investigation_note"],
                adjust=form.cleaned_data["outcome"] == "adjust",
            ),
        )
        if done is not None:
            messages.success(request, f"Discrepancy of {line.container.label} resolved.")
            return redirect("inventory:count_detail", count_id=line.count_id)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("inventory:count_detail", count_id=line.count_id)
