"""Reads for the dose: the course's earlier doses and the dose the form shows before recording
(the arithmetic and verdicts are the pure ``treatment.domain.dosing``'s)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.patients.selectors import latest_weight
from ketaclinic.treatment.domain import dosing
from ketaclinic.treatment.domain.protocol import WEIGHT_BASED
from ketaclinic.treatment.models import DoseAdministration, TreatmentSession


@dataclasses.dataclass(frozen=True)
class DosePreview:
    """What the dose form shows before recording: mg, mg/kg, mL, mL/h, and the verdict."""

    dose_mg: Decimal
    dose_mg_per_kg: Decimal | None
    weight_kg: Decimal | None
    weight_measured_at: dt.datetime | None
    volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    infusion_minutes: int | None
    device_count: int | None
    verdict: str
    message: str


def prior_doses(session: TreatmentSession) -> list[Decimal]:
    """The doses (mg) of the course's earlier sessions."""
    return list(
        DoseAdministration.objects.filter(
            session__course_id=session.course_id, session__number__lt=session.number
        ).values_list("dose_mg", flat=True)
    )


def dose_preview(
    *,
    session: TreatmentSession,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    now: dt.datetime | None = None,
) -> DosePreview:
    """The dose computed from the protocol and the patient's latest weight (pure dosing.py).
    Raises ValidationError when no dose can be computed (no weight, weight too old)."""
    protocol = session.protocol_version.protocol
    rule = protocol.dose
    now = now or timezone.now()
    if protocol.devices is not None:
        prior = prior_doses(session)
        mg = dosing.esketamine_dose_to_give(rule, requested_mg=dose_mg, prior_doses_mg=prior)
        check = dosing.check_esketamine_dose(rule, dose_mg=mg, prior_doses_mg=prior)
        try:
            count = dosing.esketamine_device_count(mg, protocol.devices)
        except dosing.DoseError as exc:
            raise ValidationError({"dose_mg": str(exc)}) from None
        return DosePreview(
            mg, None, None, None, None, None, None, count, check.verdict.value, check.message
        )
    if rule.basis in WEIGHT_BASED:
        weight = latest_weight(patient=session.patient)
        if weight is None:
            raise ValidationError(
                {"weight": "No weight is recorded: weigh the patient before dosing."}
            )
        try:
            plan = dosing.plan_weight_based_dose(
                protocol,
                weight_kg=weight.weight_kg,
                weight_measured_at=weight.measured_at,
                now=now,
                amount=amount,
                concentration_mg_per_ml=concentration_mg_per_ml,
            )
        except dosing.DoseError as exc:
            raise ValidationError({exc.field: str(exc)}) from None
        if not plan.weight.usable:
            raise ValidationError({"weight": plan.weight.message})
        return DosePreview(
            plan.dose_mg,
            plan.dose_mg_per_kg,
            weight.weight_kg,
            weight.measured_at,
            plan.volume_ml,
            plan.rate_ml_per_h,
            plan.infusion_minutes,
            None,
            plan.check.verdict.value,
            plan.check.message,
        )
    # Fixed mg or mg/h for racemic ketamine.
    try:
        fixed = dosing.plan_fixed_dose(
            protocol,
            dose_mg=dose_mg,
            amount=amount,
            concentration_mg_per_ml=concentration_mg_per_ml,
        )
    except dosing.DoseError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    return DosePreview(
        fixed.dose_mg,
        None,
        None,
        None,
        fixed.volume_ml,
        fixed.rate_ml_per_h,
        protocol.infusion_minutes,
        None,
        fixed.check.verdict.value,
        fixed.check.message,
    )


__all__ = ["DosePreview", "dose_preview", "prior_doses"]
