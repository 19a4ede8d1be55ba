"""The clinic's closed days."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.views._common import run_service_with_messages


def closures(request: ClinicRequest) -> HttpResponse:
    """The clinic's closed days: add one, cancel one, and the scheduled sessions that fall on a
    closed day (to be moved by hand, each with its own move form)."""
    m = membership_of(request)
    if not selectors.can_manage_closures(m):
        raise PermissionDenied
    form = forms.ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        added = run_service_with_messages(
            request, form, lambda: services.closure_add(by=m, date=d["date"], reason=d["reason"])
        )
        if added is not None:
            messages.success(request, f"The clinic is closed on {added.date:%Y-%m-%d}.")
            return redirect("treatment:closures")
    today = timezone.now().astimezone(m.clinic.tzinfo).date()
    all_closures = selectors.closures_for_clinic(membership=m)
    upcoming = [c for c in all_closures if c.date >= today]
    to_move = selectors.sessions_on_closures(membership=m, closures=upcoming)
    context = {
        "form": form,
        "upcoming": [(c, to_move.get(c.pk, [])) for c in upcoming],
        "past": [c for c in all_closures if c.date < today],
        "to_move_count": sum(len(v) for v in to_move.values()),
        "can_read_courses": selectors.can_read_treatment(m),
    }
    return render(request, "treatment/closures.html", context)


@require_POST
def closure_cancel(request: ClinicRequest, closure_id: int) -> HttpResponse:
    m = membership_of(request)
    closure = selectors.get_closure_for_user(membership=m, pk=closure_id)
    form = forms.ClosureCancelForm(request.POST)
    if form.is_valid():
        done = run_service_with_messages(
            request,
            form,
            lambda: services.closure_cancel(
                by=m, closure=closure, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"The closure on {closure.date:%Y-%m-%d} is cancelled.")
    else:
        messages.error(request, "Say why the closure is cancelled.")
    return redirect("treatment:closures")
