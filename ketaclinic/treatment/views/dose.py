"""The dose: record it (with the witness's sign-off where required) or preview it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.ops.idempotency import once_per_form
from ketaclinic.treatment import selectors, services
from ketaclinic.treatment.models import TreatmentSession
from ketaclinic.treatment.views.session import render_session, session_action, session_forms

T = TypeVar("T")

#: The dose form names the IV preparation fields with an ``iv_`` prefix (the session template
#: shows them for IV protocols only); the service names them without it.
_IV_FIELDS = {
    "container": "iv_container",
    "final_concentration_mg_per_ml": "iv_final_concentration_mg_per_ml",
    "final_volume_ml": "iv_final_volume_ml",
}


def _form_field_names(call: Callable[[], T]) -> T:
    try:
        return call()
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {_IV_FIELDS.get(field, field): errors for field, errors in exc.message_dict.items()}
        ) from None


def _preparation(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "concentration_mg_per_ml": d.get("concentration_mg_per_ml"),
        "final_concentration_mg_per_ml": d.get("iv_final_concentration_mg_per_ml"),
        "final_volume_ml": d.get("iv_final_volume_ml"),
        "container": d.get("iv_container") or "",
    }


@require_POST
@once_per_form
def dose(request: ClinicRequest, session_id: int) -> HttpResponse:
    def act(m: Membership, s: TreatmentSession, d: dict[str, Any]) -> Any:
        witness = None
        if d.get("witness_username"):
            witness = services.WitnessSignOff(
                username=d["witness_username"],
                password=d.get("witness_password") or "",
                token=d.get("witness_token") or "",
            )
        # Esketamine devices (up to 3) or intranasal racemic sprays (up to 5 at 50 mg).
        times = [d[f"device_{i}_at"] for i in range(1, 11) if d.get(f"device_{i}_at")]
        if not d.get("product") or not d.get("lot_number") or not d.get("expiry_date"):
            raise ValidationError(
                {
                    k: "Required (typed in until the stock ledger exists)."
                    for k in ("product", "lot_number", "expiry_date")
                    if not d.get(k)
                }
            )
        return _form_field_names(
            lambda: services.dose_record(
                by=m,
                session=s,
                dose_mg=d.get("dose_mg"),
                amount=d.get("amount"),
                **_preparation(d),
                product=d["product"],
                lot_number=d["lot_number"],
                expiry_date=d["expiry_date"],
                started_at=d.get("started_at"),
                device_times=times or None,
                witness=witness,
                override_reason=d.get("override_reason") or "",
            )
        )

    if request.POST.get("action") == "preview":
        return _dose_preview(request, session_id)
    return session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="dose",
        act=act,
        success="Dose recorded; the monitoring clock has started.",
    )


def _dose_preview(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    form = session_forms(m, session, request.POST, "dose")["dose_form"]
    preview = None
    if form.is_valid():
        d = form.cleaned_data
        prep = _preparation(d)
        preview = run_service(
            form,
            lambda: _form_field_names(
                lambda: selectors.dose_preview(
                    session=session,
                    dose_mg=d.get("dose_mg"),
                    amount=d.get("amount"),
                    concentration_mg_per_ml=prep["concentration_mg_per_ml"],
                    final_concentration_mg_per_ml=prep["final_concentration_mg_per_ml"],
                    final_volume_ml=prep["final_volume_ml"],
                    container=prep["container"] or None,
                )
            ),
        )
    if preview is not None:
        return render_session(request, m, session, dose_form=form, preview=preview)
    return render_session(request, m, session, dose_form=form)
