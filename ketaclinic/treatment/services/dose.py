"""Recording the dose, with its range check, override and witness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.screening.selectors import dose_time_findings
from ketaclinic.treatment.domain import dosing
from ketaclinic.treatment.domain.dose_plan import IV_ROUTES
from ketaclinic.treatment.domain.timing import Step
from ketaclinic.treatment.models import (
    DecisionKind,
    DecisionOutcome,
    DoseAdministration,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.dose import DosePreview, dose_preview
from ketaclinic.treatment.selectors.predose import dosing_blockers, predose_bp
from ketaclinic.treatment.services._common import (
    _clinical_time,
    _lock_session,
    _need,
    _set_phase,
)
from ketaclinic.treatment.services.predose import prescriber_decision_record
from ketaclinic.treatment.services.witness import (
    WitnessSignOff,
    _witness_confirm,
    _witness_sign,
    _WitnessRefusedError,
)


def _override_reason(
    by: Membership, s: TreatmentSession, preview: DosePreview, override_reason: str
) -> str:
    """Refuse a refused dose; for one outside the range, the prescriber's reason (recorded now
    as a decision when the prescriber doses, else a decision recorded before)."""
    reason = override_reason.strip()
    if preview.verdict == dosing.Verdict.REFUSED:
        # On the dose field where the form has one (esketamine), else on top of the form.
        raise ValidationError({"dose_mg": preview.message})
    if preview.verdict != dosing.Verdict.NEEDS_OVERRIDE:
        return reason
    subject = dosing.override_subject(preview.dose_mg)
    if by.can(Perm.TREATMENT_PLAN):
        if not reason:
            raise ValidationError({"override_reason": preview.message})
        prescriber_decision_record(
            by=by,
            session=s,
            kind=DecisionKind.DOSE_OVERRIDE,
            outcome=DecisionOutcome.PROCEED,
            reason=reason,
            subject=subject,
        )
        return reason
    decision = s.decisions.filter(
        kind=DecisionKind.DOSE_OVERRIDE, outcome=DecisionOutcome.PROCEED, subject=subject
    ).last()
    if decision is None:
        raise ValidationError(
            {"override_reason": f"{preview.message} Ask the prescriber to record it."}
        )
    return decision.reason


def _require_iv_preparation(
    stock: Decimal | None, container: str, final: Decimal | None, final_volume: Decimal | None
) -> None:
    """An IV dose names its stock, its bag or syringe and that container's final concentration
    or volume (the pump rate follows from them)."""
    missing = {}
    if stock is None:
        missing["concentration_mg_per_ml"] = (
            "An IV dose needs the stock concentration it is drawn from (mg/mL)."
        )
    if not container:
        missing["container"] = "Say whether the dose is prepared in a bag or a syringe."
    if final is None and final_volume is None:
        missing["final_concentration_mg_per_ml"] = (
            "An IV dose needs the final concentration (mg/mL) or final volume (mL) of the bag "
            "or syringe."
        )
    if missing:
        raise ValidationError(missing)


def dose_record(
    *,
    by: Membership,
    session: TreatmentSession,
    product: str,
    lot_number: str,
    expiry_date: dt.date,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    container: str = "",
    started_at: dt.datetime | None = None,
    device_times: list[dt.datetime] | None = None,
    witness: WitnessSignOff | None = None,
    override_reason: str = "",
) -> DoseAdministration:
    """Record the dose. The dose comes from the pure dosing rules: the latest weight within the
    protocol's age limit (30 days by default) or refused; mg and mg/kg; the volume drawn from
    the stock concentration (rounded to a measurable volume: the requested and the delivered mg
    are both kept); for IV the bag or syringe, its final concentration (never above 50 mg/mL:
    never an undiluted 100 mg/mL vial) and volume, and the pump rate from them. A dose outside
    the range, or esketamine for a patient with severe hepatic impairment, needs a prescriber's
    override with a reason; a dose above the absolute cap or a ceiling (``ceilings.py``), 84 mg
    esketamine without a prior 56 mg, or a dose too soon after the patient's last one
    (``min_days_between_sessions``) is refused, and no override changes that.

    A witness signs off at the chair: their own username (the clinic's clinical staff), password
    and TOTP code, checked by ``accounts.services.reauthenticate`` on the witness's membership
    once everything else about the dose is valid (so a form error does not spend their code).
    The witness must be another person. The witness's e-signature (meaning "witness") is bound
    to the dose's content. A refusal records nothing of the dose and is audited
    (``DOSE_WITNESS_FAILED``, and the witness's ``REAUTH_FAILED``) in its own transaction.
    """
    try:
        return _dose_record(
            by=by,
            session=session,
            product=product,
            lot_number=lot_number,
            expiry_date=expiry_date,
            dose_mg=dose_mg,
            amount=amount,
            concentration_mg_per_ml=concentration_mg_per_ml,
            final_concentration_mg_per_ml=final_concentration_mg_per_ml,
            final_volume_ml=final_volume_ml,
            container=container,
            started_at=started_at,
            device_times=device_times,
            witness=witness,
            override_reason=override_reason,
        )
    except _WitnessRefusedError as refused:
        # The dose's transaction rolled back, with any audit event written inside it: record
        # the refusal now, committed on its own.
        with transaction.atomic():
            if refused.witness is not None and refused.why == "credentials":
                audit_record(
                    event_type=EventType.REAUTH_FAILED,
                    actor=refused.witness,
                    extra={"purpose": "dose_witness", "session_id": session.pk},
                )
            audit_record(
                event_type=EventType.DOSE_WITNESS_FAILED,
                actor=by,
                obj=session,
                patient_id=session.patient_id,
                extra={
                    "why": refused.why,
                    "witness_user_id": refused.witness.user_id if refused.witness else None,
                },
            )
        raise ValidationError({"witness_password": refused.message}) from None


@transaction.atomic
def _dose_record(
    *,
    by: Membership,
    session: TreatmentSession,
    product: str,
    lot_number: str,
    expiry_date: dt.date,
    dose_mg: Decimal | None,
    amount: Decimal | None,
    concentration_mg_per_ml: Decimal | None,
    final_concentration_mg_per_ml: Decimal | None,
    final_volume_ml: Decimal | None,
    container: str,
    started_at: dt.datetime | None,
    device_times: list[dt.datetime] | None,
    witness: WitnessSignOff | None,
    override_reason: str,
) -> DoseAdministration:
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    blockers = dosing_blockers(s)
    blockers += [  # issue 11: allergy to ketamine, new pregnancy, REMS enrolment
        f.reason
        for f in dose_time_findings(
            patient=s.patient,
            protocol_code=s.protocol_version.family.code,
            drug=s.protocol_version.protocol.drug,
        )
        if f.hard
    ]
    if blockers:
        raise ValidationError(["Dosing is blocked:", *blockers])
    if hasattr(s, "dose") and DoseAdministration.objects.filter(session=s).exists():
        raise ValidationError("The dose of this session is already recorded.")
    protocol = s.protocol_version.protocol
    for field, value in (("product", product), ("lot_number", lot_number)):
        if not value.strip():
            raise ValidationError({field: "Required (typed in until the stock ledger exists)."})
    today = timezone.now().astimezone(by.clinic.tzinfo).date()
    if expiry_date < today:
        raise ValidationError({"expiry_date": f"This lot expired on {expiry_date.isoformat()}."})
    if protocol.route in IV_ROUTES:
        _require_iv_preparation(
            concentration_mg_per_ml, container, final_concentration_mg_per_ml, final_volume_ml
        )
    preview = dose_preview(
        session=s,
        dose_mg=dose_mg,
        amount=amount,
        concentration_mg_per_ml=concentration_mg_per_ml,
        final_concentration_mg_per_ml=final_concentration_mg_per_ml,
        final_volume_ml=final_volume_ml,
        container=container or None,
    )
    prep = preview.preparation
    times: list[dt.datetime] = []
    if protocol.devices is not None:
        times = [
            _clinical_time(by, s, t, field="device_times", label="Device time", step=Step.DOSE)
            for t in (device_times or [])
        ]
        if len(times) != preview.device_count:
            raise ValidationError(
                {
                    "device_times": f"{preview.dose_mg} mg is {preview.device_count} "
                    f"{protocol.devices.unit}s of {protocol.devices.mg_per_device} mg: give the "
                    f"time of each {protocol.devices.unit}."
                }
            )
        problems = dosing.check_device_timing(times, protocol.devices)
        if problems:
            raise ValidationError({"device_times": problems})
        start = times[0]
    else:
        start = _clinical_time(
            by, s, started_at, field="started_at", label="Dose started at", step=Step.DOSE
        )
    bp = predose_bp(s)
    if bp is not None and start < bp.measured_at:
        raise ValidationError(
            {
                "started_at": "Dosing cannot start before the pre-dose blood pressure "
                f"({bp.measured_at.astimezone(by.clinic.tzinfo):%H:%M})."
            }
        )
    reason = _override_reason(by, s, preview, override_reason)
    # Last check before writing: the witness's code is not spent on a form error.
    witness_membership = _witness_confirm(by, witness)
    dose = DoseAdministration.objects.create(
        session=s,
        dose_mg=preview.dose_mg,
        requested_dose_mg=preview.requested_dose_mg,
        dose_mg_per_kg=preview.dose_mg_per_kg,
        weight_kg=preview.weight_kg,
        weight_measured_at=preview.weight_measured_at,
        product=product.strip(),
        lot_number=lot_number.strip(),
        expiry_date=expiry_date,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=preview.volume_ml,
        container=prep.container.value if prep else "",
        final_volume_ml=prep.final_volume_ml if prep else None,
        final_concentration_mg_per_ml=prep.final_concentration_mg_per_ml if prep else None,
        rate_ml_per_h=preview.rate_ml_per_h,
        rate_mg_per_h=preview.rate_mg_per_h,
        infusion_minutes=preview.infusion_minutes,
        device_count=preview.device_count,
        device_times=[t.astimezone(dt.UTC).isoformat() for t in times],
        started_at=start,
        override_reason=reason,
        given_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    witness_signature_id = _witness_sign(dose, witness_membership)
    audit_record(
        event_type=EventType.DOSE_RECORDED,
        actor=by,
        obj=dose,
        patient_id=s.patient_id,
        reason=reason,
        extra={
            "session_id": s.pk,
            "dose_mg": preview.dose_mg,
            "requested_dose_mg": preview.requested_dose_mg,
            "dose_mg_per_kg": preview.dose_mg_per_kg,
            "weight_kg": preview.weight_kg,
            "volume_ml": preview.volume_ml,
            "container": dose.container,
            "final_volume_ml": dose.final_volume_ml,
            "final_concentration_mg_per_ml": dose.final_concentration_mg_per_ml,
            "rate_ml_per_h": preview.rate_ml_per_h,
            "rate_mg_per_h": preview.rate_mg_per_h,
            "lot_number": dose.lot_number,
            "witnessed_by": dose.witnessed_by_id,
            "witness_signature_id": witness_signature_id,
        },
    )
    _set_phase(by, s, SessionPhase.DOSING, dose_started_at=start)
    return dose


__all__ = [
    "dose_record",
]
