"""Reads for the dose: the course's earlier doses and the dose the form shows before recording
(the arithmetic, preparation, ceilings and verdicts are the pure ``treatment.domain``'s:
``dose_plan``, ``preparation``, ``ceilings``, ``hepatic``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.patients.selectors import latest_weight, undated_imported_weight
from ketaclinic.treatment.domain import dosing
from ketaclinic.treatment.domain.dose_plan import (
    apply_ceilings,
    plan_dose,
    step_amount,
    step_problem,
)
from ketaclinic.treatment.domain.hepatic import hepatic_dose_message, observation_minutes
from ketaclinic.treatment.domain.preparation import IvPreparation
from ketaclinic.treatment.domain.protocol import WEIGHT_BASED
from ketaclinic.treatment.models import DoseAdministration, TreatmentSession
from ketaclinic.treatment.safety import CHECK_BEFORE_USE
from ketaclinic.treatment.selectors.calendar import dose_spacing_problem


@dataclasses.dataclass(frozen=True)
class DosePreview:
    """What the dose form shows before recording: mg (requested and delivered), mg/kg, the
    volume drawn, for IV the bag or syringe and the pump rate (mL/h and mg/h, with the rate cap
    beside it), and the verdict with every reason."""

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
    requested_dose_mg: Decimal | None = None
    rate_mg_per_h: Decimal | None = None
    uncapped_rate_mg_per_h: Decimal | None = None
    cap_rate_mg_per_h: Decimal | None = None
    preparation: IvPreparation | None = None
    concentration_mg_per_ml: Decimal | None = None
    basis_unit: str = ""
    observation_minutes: int | None = None
    notes: tuple[str, ...] = ()
    check_before_use: str = CHECK_BEFORE_USE

    @property
    def rounding_changed_dose(self) -> bool:
        return self.requested_dose_mg is not None and self.requested_dose_mg != self.dose_mg

    @property
    def rate_capped(self) -> bool:
        return self.uncapped_rate_mg_per_h is not None


def prior_doses(session: TreatmentSession) -> list[Decimal]:
    """The doses (mg) of the course's earlier sessions."""
    return list(
        DoseAdministration.objects.filter(
            session__course_id=session.course_id, session__number__lt=session.number
        ).values_list("dose_mg", flat=True)
    )


def _with_patient_rules(
    session: TreatmentSession, preview: DosePreview, now: dt.datetime
) -> DosePreview:
    """Add the rules that depend on the patient, not on the dose: hepatic impairment (severe:
    esketamine needs a prescriber's override; moderate: longer observation) and the minimum
    days since the patient's last dose (refused)."""
    protocol = session.protocol_version.protocol
    hepatic = session.patient.hepatic_impairment
    notes = list(preview.notes)
    verdict, message = preview.verdict, preview.message
    minutes = observation_minutes(protocol, hepatic)
    if minutes != protocol.min_observation_minutes:
        notes.append(
            f"Moderate hepatic impairment: observe for at least {minutes} minutes "
            "(the protocol's setting for it)."
        )
    hepatic_message = hepatic_dose_message(protocol, hepatic)
    if hepatic_message:
        if verdict == dosing.Verdict.WITHIN_RANGE:
            verdict = dosing.Verdict.NEEDS_OVERRIDE.value
        message = f"{message} {hepatic_message}".strip()
    spacing = dose_spacing_problem(session, now.astimezone(session.clinic.tzinfo).date())
    if spacing:
        verdict = dosing.Verdict.REFUSED.value
        message = f"{spacing} {message}".strip()
    return dataclasses.replace(
        preview, verdict=verdict, message=message, observation_minutes=minutes, notes=tuple(notes)
    )


def session_step(session: TreatmentSession) -> tuple[int, Decimal | None] | None:
    """For a phase that doses by steps (``Phase.dose_steps``, or a maintenance phase choosing
    among them): the session's place in its phase (1 = first dosed) and its step in the rule's
    basis (None where the prescriber chooses); None for any other phase."""
    protocol = session.protocol_version.protocol
    phase = next((ph for ph in protocol.schedule if ph.code == session.phase_code), None)
    if phase is None or not (phase.dose_steps or phase.dose_from_steps_of):
        return None
    # The place counts the phase's earlier sessions that were dosed: a missed or cancelled
    # session does not move the titration on.
    place = 1 + (
        TreatmentSession.objects.filter(
            course_id=session.course_id,
            phase_code=session.phase_code,
            number__lt=session.number,
            dose__isnull=False,
        ).count()
    )
    return place, step_amount(protocol, session.phase_code, place)


def dose_preview(
    *,
    session: TreatmentSession,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    container: str | None = None,
    now: dt.datetime | None = None,
) -> DosePreview:
    """The dose computed from the protocol and the patient's latest weight (pure dose_plan),
    checked against the protocol's range and cap, the ceilings, the patient's hepatic
    impairment and the days since the last dose. Raises ValidationError naming the field when
    no dose can be computed (no weight, weight too old, an IV final concentration above the
    ceiling, ...)."""
    protocol = session.protocol_version.protocol
    rule = protocol.dose
    now = now or timezone.now()
    unit = rule.basis.unit
    if protocol.devices is not None:
        prior = prior_doses(session)
        mg = dosing.esketamine_dose_to_give(rule, requested_mg=dose_mg, prior_doses_mg=prior)
        check = dosing.check_esketamine_dose(rule, dose_mg=mg, prior_doses_mg=prior)
        check = apply_ceilings(protocol, check, dose_mg=mg, weight_kg=None)
        try:
            count = dosing.esketamine_device_count(mg, protocol.devices)
        except dosing.DoseError as exc:
            raise ValidationError({"dose_mg": str(exc)}) from None
        preview = DosePreview(
            dose_mg=mg,
            dose_mg_per_kg=None,
            weight_kg=None,
            weight_measured_at=None,
            volume_ml=None,
            rate_ml_per_h=None,
            infusion_minutes=None,
            device_count=count,
            verdict=check.verdict.value,
            message=check.message,
            requested_dose_mg=mg,
            basis_unit=unit,
        )
        return _with_patient_rules(session, preview, now)
    # Fixed-dose racemic protocols use the weight, when there is one, for the mg/kg ceilings
    # only (without it, the lightest patient's); weight-based ones need a recent one.
    step = session_step(session)
    if amount is None and step is not None and step[1] is not None:
        amount = step[1]
    weight = latest_weight(patient=session.patient)
    weight_based = rule.basis in WEIGHT_BASED
    if weight is None and weight_based:
        if undated_imported_weight(patient=session.patient):
            raise ValidationError(
                {
                    "weight": "The only weight was imported without its measurement date: "
                    "weigh the patient before dosing."
                }
            )
        raise ValidationError({"weight": "No weight is recorded: weigh the patient before dosing."})
    try:
        plan = plan_dose(
            protocol,
            weight_kg=weight.weight_kg if weight else None,
            weight_measured_at=weight.measured_at if weight and weight_based else None,
            now=now,
            amount=amount,
            dose_mg=None if weight_based else dose_mg,
            concentration_mg_per_ml=concentration_mg_per_ml,
            final_concentration_mg_per_ml=final_concentration_mg_per_ml,
            final_volume_ml=final_volume_ml,
            container=container or None,
        )
    except dosing.DoseError as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    if plan.weight is not None and not plan.weight.usable:
        raise ValidationError({"weight": plan.weight.message})
    check = plan.check
    if step is not None:  # an ascending-dose phase: another amount needs an override
        problem = step_problem(protocol, session.phase_code, step[0], amount or rule.usual)
        if problem and check.verdict is dosing.Verdict.WITHIN_RANGE:
            check = dosing.RangeCheck(dosing.Verdict.NEEDS_OVERRIDE, problem)
    preview = DosePreview(
        plan.dose_mg,
        plan.dose_mg_per_kg,
        weight.weight_kg if weight else None,
        weight.measured_at if weight else None,
        plan.volume_ml,
        plan.rate_ml_per_h,
        plan.infusion_minutes or protocol.infusion_minutes,
        None,
        check.verdict.value,
        check.message,
        requested_dose_mg=plan.requested_dose_mg,
        rate_mg_per_h=plan.rate_mg_per_h,
        uncapped_rate_mg_per_h=plan.uncapped_rate_mg_per_h,
        cap_rate_mg_per_h=plan.cap_rate_mg_per_h,
        preparation=plan.preparation,
        concentration_mg_per_ml=concentration_mg_per_ml,
        basis_unit=unit,
    )
    return _with_patient_rules(session, preview, now)


__all__ = ["CHECK_BEFORE_USE", "DosePreview", "dose_preview", "prior_doses", "session_step"]
