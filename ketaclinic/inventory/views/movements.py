"""Stock leaving or moving, one page each: destruction (DEA Form 41, two witnesses), a move to
another location, a shipment to another registrant, a loss or theft and its reporting deadlines.
Each page first checks who may read the container (a 404 for another clinic's, a 403 without the
permission), so a failed POST shows nothing a GET would not."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import Container, LossKind
from ketaclinic.ops.idempotency import once_per_form


def _container(request: ClinicRequest, container_id: int, perm: Perm) -> Container:
    return selectors.get_container_for_user(
        membership=membership_of(request), pk=container_id, perm=perm
    )


def _page(
    request: ClinicRequest, c: Container, form: object, title: str, lead: str
) -> HttpResponse:
    context = {"c": c, "form": form, "title": title, "lead": lead}
    return render(request, "inventory/movement.html", context)


@once_per_form
def destroy(request: ClinicRequest, container_id: int) -> HttpResponse:
    m = membership_of(request)
    c = _container(request, container_id, Perm.STOCK_MANAGE)
    form = forms.DestroyForm(request.POST or None, container=c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = run_service(
            form,
            lambda: services.destruction_record(
                by=m,
                container=c,
                amount=d["amount"],
                method=d["method"],
                place=d["place"],
                destroyed_on=d["destroyed_on"],
                witness=form.sign_off(),
                second_witness=form.second_sign_off(),
            ),
        )
        if entry is not None:
            messages.success(request, f"Destruction recorded (ledger entry {entry.sequence}).")
            return redirect("inventory:container", container_id=c.pk)
    return _page(
        request,
        c,
        form,
        f"Destroy stock from {c.label}",
        "Expired, recalled or damaged stock made non-retrievable: the DEA Form 41 record. Two "
        "authorised people other than you witness it and each signs on this screen. The residue "
        "of a dose is waste, not destruction: record it on the container's page.",
    )


@once_per_form
def transfer(request: ClinicRequest, container_id: int) -> HttpResponse:
    m = membership_of(request)
    c = _container(request, container_id, Perm.STOCK_HANDLE)
    locations = selectors.locations_for(membership=m).exclude(pk=c.location_id)
    form = forms.TransferForm(request.POST or None, locations=locations)
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to_location"]
        entry = run_service(
            form, lambda: services.transfer_record(by=m, container=c, to_location=to)
        )
        if entry is not None:
            messages.success(request, f"{c.label} moved to {to.name}.")
            return redirect("inventory:container", container_id=c.pk)
    return _page(
        request,
        c,
        form,
        f"Move {c.label} to another location",
        f"The whole container moves from {c.location.name}: an entry out of it and one into the "
        "new location, for the balance the ledger holds.",
    )


@once_per_form
def registrant_transfer(request: ClinicRequest, container_id: int) -> HttpResponse:
    m = membership_of(request)
    c = _container(request, container_id, Perm.STOCK_MANAGE)
    form = forms.RegistrantTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = run_service(
            form,
            lambda: services.registrant_transfer_record(
                by=m,
                container=c,
                recipient_name=d["recipient_name"],
                recipient_address=d["recipient_address"],
                recipient_dea_number=d["recipient_dea_number"],
                document_number=d["document_number"],
                shipped_on=d["shipped_on"],
            ),
        )
        if entry is not None:
            messages.success(request, f"{c.label} shipped (ledger entry {entry.sequence}).")
            return redirect("inventory:container", container_id=c.pk)
    return _page(
        request,
        c,
        form,
        f"Ship {c.label} to another registrant",
        "A return to the supplier, a reverse distributor or another practice: the whole "
        "container leaves this clinic's registration. Keep the invoice or packing slip with the "
        "records.",
    )


@once_per_form
def loss(request: ClinicRequest, container_id: int) -> HttpResponse:
    m = membership_of(request)
    c = _container(request, container_id, Perm.STOCK_HANDLE)
    form = forms.LossForm(request.POST or None, container=c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        report = run_service(
            form,
            lambda: services.loss_record(
                by=m,
                container=c,
                amount=d["amount"],
                kind=LossKind(d["kind"]),
                discovered_on=d["discovered_on"],
                note=d["note"],
            ),
        )
        if report is not None:
            messages.success(
                request,
                f"Recorded. Written notice due {report.notice_due:%Y-%m-%d}; "
                f"DEA Form 106 due {report.form_106_due:%Y-%m-%d}.",
            )
            return redirect("inventory:loss_report", loss_report_id=report.pk)
    return _page(
        request,
        c,
        form,
        f"Report a loss or theft from {c.label}",
        "Theft or a significant loss: the DEA Field Division gets a written notice within one "
        "business day of finding it and DEA Form 106 within 45 days; the deadlines are tracked "
        "from the date found. Witnessed, unrecoverable breakage is recorded here too but is not "
        "reportable.",
    )


def loss_reports(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    context = {"reports": selectors.loss_reports_for(membership=m)}
    return render(request, "inventory/loss_reports.html", context)


def loss_report(request: ClinicRequest, loss_report_id: int) -> HttpResponse:
    m = membership_of(request)
    report = selectors.get_loss_report_for_user(membership=m, pk=loss_report_id)
    can_manage = m.can(Perm.STOCK_MANAGE)
    form = forms.LossReportUpdateForm(request.POST or None)
    if request.method == "POST":
        report = selectors.get_loss_report_for_user(
            membership=m, pk=loss_report_id, perm=Perm.STOCK_MANAGE
        )
        if form.is_valid():
            d = form.cleaned_data
            done = run_service(
                form,
                lambda: services.loss_report_update(
                    by=m,
                    report=report,
                    notice_sent_on=d["notice_sent_on"],
                    form_106_filed_on=d["form_106_filed_on"],
                    form_106_reference=d["form_106_reference"],
                ),
            )
            if done is not None:
                messages.success(request, "Reporting dates recorded.")
                return redirect("inventory:loss_report", loss_report_id=report.pk)
    context = {"r": report, "form": form, "can_manage": can_manage}
    return render(request, "inventory/loss_report.html", context)
