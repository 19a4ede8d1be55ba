from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts import selectors, services
from ketaclinic.lib.context import note_read


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Review note", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


def alert_list(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    show_all = request.GET.get("show") == "all"
    alerts = list(selectors.alerts_for_clinic(membership=membership, open_only=not show_all)[:200])
    for alert in alerts:  # each alert listed names its patient: an audited read (ids only)
        note_read(alert, alert.patient_id)
    context = {
        "alerts": alerts,
        "show_all": show_all,
        "can_acknowledge": membership.can(Perm.ALERT_ACKNOWLEDGE),
    }
    return render(request, "alerts/list.html", context)


def alert_acknowledge(request: ClinicRequest, pk: int) -> HttpResponse:
    membership = membership_of(request)
    alert = selectors.get_alert_for_user(membership=membership, pk=pk)
    if not membership.can(Perm.ALERT_ACKNOWLEDGE):
        raise PermissionDenied
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.alert_acknowledge(
                by=membership, alert=alert, note=form.cleaned_data["note"]
            ),
        )
        if done is not None:
            messages.success(request, "Alert acknowledged.")
            if alert.patient_id:
                return redirect("patients:detail", pk=alert.patient_id)
            return redirect("alerts:list")
    return render(request, "alerts/acknowledge.html", {"alert": alert, "form": form})
