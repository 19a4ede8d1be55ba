"""The chair's ledger step: after a dose is recorded on the session page, the nurse records the
draw from stock here (the container, the amounts drawn, given and wasted, when). Treatment never
imports inventory (tests/test_layers.py), so the session page links here through the
``chair_stock`` template tag and this page reads the session and its dose."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.permissions import Perm
from ketaclinic.inventory import forms, selectors, services
from ketaclinic.inventory.models import Drug
from ketaclinic.inventory.views._common import require
from ketaclinic.ops.idempotency import once_per_form
from ketaclinic.treatment import selectors as treatment_selectors


@once_per_form
def draw(request: ClinicRequest, session_id: int) -> HttpResponse:
    """GET and POST check the same reads first: another clinic's session is a 404; drawing needs
    both running sessions and handling stock (403 otherwise)."""
    m = membership_of(request)
    session = treatment_selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    require(m, Perm.STOCK_HANDLE)
    dose = selectors.dose_of(session)
    drawn = selectors.session_draw(session.pk)
    context: dict[str, object] = {
        "session": session,
        "dose": dose,
        "drawn": drawn,
        "form": None,
        "patient_name": session.patient.full_name if m.can(Perm.PATIENT_VIEW) else "",
    }
    if dose is None or drawn is not None:
        return render(request, "inventory/draw.html", context)
    devices = str(session.protocol_version.protocol.drug) == str(Drug.ESKETAMINE)
    given = Decimal(dose.device_count or 0) if devices else dose.dose_mg
    containers = selectors.containers_for_session(session)
    form = forms.DrawForm(
        request.POST or None,
        containers=containers,
        devices=devices,
        given=given,
        dose_started_at=dose.started_at,
        dose_recorded_by=dose.given_by.display_name,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        entry = run_service(
            form,
            lambda: services.administration_record(
                by=m,
                session=session,
                container=d["container"],
                drawn=d["drawn"],
                administered=d["administered"],
                wasted=d["wasted"],
                witness=form.sign_off(),
                occurred_at=d["occurred_at"],
                dose=dose,
            ),
        )
        if entry is not None:
            messages.success(
                request,
                f"Draw from stock recorded: {entry.container.label}, ledger entry "
                f"{entry.sequence}.",
            )
            return redirect("treatment:session", session_id=session.pk)
    context.update(form=form, containers=containers, devices=devices)
    return render(request, "inventory/draw.html", context)
