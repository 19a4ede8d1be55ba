"""The dispensing and administration log (page and CSV) and the initial and biennial inventory."""

from __future__ import annotations

import csv
import datetime as dt
import itertools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import InventoryKind, TakenAt
from ketaclinic.inventory.views._common import require
from ketaclinic.ops.idempotency import once_per_form

PAGE_ROWS = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading apostrophe
    before = + - @ tab or carriage return."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _period(request: ClinicRequest) -> tuple[forms.PeriodForm, dt.date, dt.date] | None:
    m = membership_of(request)
    today = timezone.localdate(timezone.now(), m.clinic.tzinfo)
    data = (
        request.GET
        if "start" in request.GET
        else {
            "start": (today - dt.timedelta(days=30)).isoformat(),
            "end": today.isoformat(),
        }
    )
    form = forms.PeriodForm(data)
    if not form.is_valid():
        return None
    return form, form.cleaned_data["start"], form.cleaned_data["end"]


def log(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    period = _period(request)
    rows: list[tuple[str, ...]] = []
    more = False
    form = forms.PeriodForm(request.GET)
    if not selectors.can_view_stock(m):
        raise PermissionDenied
    if period is not None:
        form, start, end = period
        found = list(
            itertools.islice(
                selectors.administration_log(membership=m, start=start, end=end), PAGE_ROWS + 1
            )
        )
        rows, more = found[:PAGE_ROWS], len(found) > PAGE_ROWS
    context = {"form": form, "rows": rows, "more": more, "header": selectors.LOG_HEADER}
    return render(request, "inventory/log.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def log_csv(request: ClinicRequest) -> HttpResponse | StreamingHttpResponse:
    m = membership_of(request)
    period = _period(request)
    if period is None:
        return redirect("inventory:log")
    _, start, end = period
    rows = selectors.administration_log(membership=m, start=start, end=end)
    writer = csv.writer(_Echo())
    lines = itertools.chain(
        [writer.writerow(selectors.LOG_HEADER)],
        (writer.writerow([csv_cell(v) for v in row]) for row in rows),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"dispensing-log-{m.clinic.code}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@once_per_form
def inventories(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    form = forms.InventoryForm(request.POST or None)
    if request.method == "POST":
        require(m, Perm.STOCK_MANAGE)
        if form.is_valid():
            report = run_service(
                form,
                lambda: services.inventory_take(
                    by=m,
                    kind=InventoryKind(form.cleaned_data["kind"]),
                    time_of_day=TakenAt(form.cleaned_data["time_of_day"]),
                ),
            )
            if report is not None:
                messages.success(request, "Inventory taken.")
                return redirect("inventory:inventory_detail", inventory_id=report.pk)
    context = {
        "reports": selectors.inventory_reports_for(membership=m),
        "form": form,
        "can_manage": m.can(Perm.STOCK_MANAGE),
    }
    return render(request, "inventory/inventories.html", context)


def inventory_detail(request: ClinicRequest, inventory_id: int) -> HttpResponse:
    m = membership_of(request)
    report = selectors.get_inventory_report_for_user(membership=m, pk=inventory_id)
    return render(request, "inventory/inventory_detail.html", {"report": report})
