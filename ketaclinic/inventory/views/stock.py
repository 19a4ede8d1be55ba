"""Stock by container, receiving, a container's entries with waste, the entry list, reversals."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import LossKind
from ketaclinic.inventory.views._common import require
from ketaclinic.ops.idempotency import once_per_form


def stock(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    rows = selectors.stock_by_container(membership=m)
    context = {
        "rows": rows,
        "locations": selectors.locations_for(membership=m),
        "discrepancies": selectors.open_discrepancies(membership=m),
        "loss_reports": [
            r
            for r in selectors.loss_reports_for(membership=m)
            if not r.form_106_filed_on and r.kind != LossKind.BREAKAGE
        ],
        "undrawn": selectors.undrawn_doses(membership=m),
        "can_draw": m.can(Perm.STOCK_HANDLE) and m.can(Perm.TREATMENT_ADMINISTER),
        "can_handle": m.can(Perm.STOCK_HANDLE),
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/stock.html", context)


@once_per_form
def receive(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    require(m, Perm.STOCK_HANDLE)
    form = forms.ReceiveForm(
        request.POST or None,
        products=selectors.products_for(membership=m),
        locations=selectors.locations_for(membership=m),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        receipt = run_service(
            form,
            lambda: services.receipt_record(
                by=m,
                product=d["product"],
                location=d["location"],
                supplier_name=d["supplier_name"],
                supplier_address=d["supplier_address"],
                supplier_dea_number=d["supplier_dea_number"],
                invoice_number=d["invoice_number"],
                received_on=d["received_on"],
                lot_number=d["lot_number"],
                expiry_date=d["expiry_date"],
                container_count=d["container_count"],
                witness=form.sign_off(),
            ),
        )
        if receipt is not None:
            labels = ", ".join(c.label for c in receipt.containers.order_by("label"))
            messages.success(request, f"Received {receipt.container_count} container(s): {labels}.")
            return redirect("inventory:stock")
    return render(request, "inventory/receive.html", {"form": form})


@once_per_form
def container(request: ClinicRequest, container_id: int) -> HttpResponse:
    m = membership_of(request)
    c = selectors.get_container_for_user(membership=m, pk=container_id)
    form = forms.WasteForm(request.POST or None)
    if request.method == "POST":
        require(m, Perm.STOCK_HANDLE)
        if form.is_valid():
            d = form.cleaned_data
            entry = run_service(
                form,
                lambda: services.waste_record(
                    by=m,
                    container=c,
                    amount=d["amount"],
                    reason=d["reason"],
                    witness=form.sign_off(),
                ),
            )
            if entry is not None:
                messages.success(request, f"Waste recorded (ledger entry {entry.sequence}).")
                return redirect("inventory:container", container_id=c.pk)
    context = {
        "c": c,
        "entries": c.entries.select_related("recorded_by", "witness", "location").order_by(
            "sequence"
        ),
        "form": form,
        "can_handle": m.can(Perm.STOCK_HANDLE),
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/container.html", context)


def entries(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    context = {
        "entries": selectors.entries_for(membership=m),
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/entries.html", context)


@require_POST
@once_per_form
def entry_reverse(request: ClinicRequest, ledger_entry_id: int) -> HttpResponse:
    m = membership_of(request)
    entry = selectors.get_entry_for_user(membership=m, pk=ledger_entry_id, perm=Perm.STOCK_MANAGE)
    form = forms.ReverseForm(request.POST)
    if form.is_valid():
        done = run_service(
            form,
            lambda: services.entry_reverse(by=m, entry=entry, reason=form.cleaned_data["reason"]),
        )
        if done is not None:
            messages.success(request, f"Entry {entry.sequence} reversed by entry {done.sequence}.")
            return redirect("inventory:entries")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("inventory:entries")
