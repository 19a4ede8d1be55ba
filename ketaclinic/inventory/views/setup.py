"""Set-up of the ledger: the products (shared by every clinic, by NDC) and the clinic's storage
locations. The inventory manager's pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import Drug
from ketaclinic.inventory.views._common import require
from ketaclinic.ops.idempotency import once_per_form


def setup(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    context = {
        "products": selectors.products_for(membership=m),
        "locations": selectors.locations_for(membership=m),
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/setup.html", context)


@once_per_form
def product_new(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    require(m, Perm.STOCK_MANAGE)
    form = forms.ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        product = run_service(
            form,
            lambda: services.product_create(
                by=m,
                ndc=d["ndc"],
                name=d["name"],
                drug=Drug(d["drug"]),
                form=d["form"],
                mg_per_ml=d["mg_per_ml"],
                volume_ml=d["volume_ml"],
                mg_per_device=d["mg_per_device"],
                devices_per_container=d["devices_per_container"],
            ),
        )
        if product is not None:
            messages.success(request, f"Product {product.name} (NDC {product.ndc}) added.")
            return redirect("inventory:setup")
    context = {
        "form": form,
        "title": "Add a product",
        "lead": "A product by its NDC, shared by every clinic. A vial is counted in mg (its "
        "concentration times its volume); an esketamine kit in devices.",
    }
    return render(request, "inventory/setup_form.html", context)


@once_per_form
def location_new(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    require(m, Perm.STOCK_MANAGE)
    form = forms.LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        location = run_service(
            form,
            lambda: services.location_create(
                by=m, name=d["name"], serves_sessions=d["serves_sessions"], chairs=d["chairs"]
            ),
        )
        if location is not None:
            messages.success(request, f"Location {location.name} added.")
            return redirect("inventory:setup")
    context = {
        "form": form,
        "title": "Add a storage location",
        "lead": "A locked place where stock is kept: the safe, a treatment room's cabinet. "
        "Counts are taken per location.",
    }
    return render(request, "inventory/setup_form.html", context)
