"""The safety rules without the web interface: a clinic validating ketaclinic (and this project's
own tests) checks a dose (``dose_check``), or a reading (``reading_findings`` over ``Vitals``,
giving ``Finding``s), with the same code the chair uses.

Pure module: no Django import (``tests/test_pure_imports.py``). ``protocol_code`` is the code of
a shipped protocol (``esketamine_trd``, ``esketamine_mdsi``, ``iv_racemic_depression``,
``iv_racemic_crps``, ``im_racemic_depression``, ``oral_racemic_depression``, ``iv_racemic_ptsd``,
``iv_racemic_ocd``, ``sc_racemic_anxiety``, ``in_racemic_depression``)::

    >>> from ketaclinic.treatment import safety
    >>> safety.dose_check("iv_racemic_depression", weight_kg=70, amount="0.5").dose_mg
    Decimal('35.0')

Every number returned is decision support: check before use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from ketaclinic.treatment.domain import dosing
from ketaclinic.treatment.domain.ceilings import CEILINGS, IV_FINAL_CONCENTRATION, Ceiling
from ketaclinic.treatment.domain.dose_plan import IV_ROUTES, plan_dose, step_amount, step_problem
from ketaclinic.treatment.domain.hepatic import (
    HEPATIC_LEVELS,
    hepatic_dose_message,
    observation_minutes,
)
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.preparation import Container
from ketaclinic.treatment.domain.protocol import Protocol
from ketaclinic.treatment.domain.vitals import (
    ABSOLUTE_LIMITS,
    Finding,
    Vitals,
    findings_for,
    reading_findings,
)

__all__ = [
    "ABSOLUTE_LIMITS",
    "CEILINGS",
    "CHECK_BEFORE_USE",
    "HEPATIC_LEVELS",
    "IV_FINAL_CONCENTRATION",
    "Ceiling",
    "DoseCheck",
    "Finding",
    "Vitals",
    "dose_check",
    "findings_for",
    "hepatic_dose_message",
    "observation_minutes",
    "reading_findings",
]

#: Shown beside every computed dose, rate and volume.
CHECK_BEFORE_USE = "decision support: check before use"

DoseVerdict = Literal["ok", "override_required", "refused"]

_VERDICTS: dict[dosing.Verdict, DoseVerdict] = {
    dosing.Verdict.WITHIN_RANGE: "ok",
    dosing.Verdict.NEEDS_OVERRIDE: "override_required",
    dosing.Verdict.REFUSED: "refused",
}


@dataclass(frozen=True, slots=True)
class DoseCheck:
    """The verdict on one dose, with the numbers the chair would show.

    ``dose_mg`` is what would be given (after rounding to a measurable volume when a
    concentration is given; None when no dose can be computed), ``rate_mg_per_h`` the infusion
    rate (None for a bolus, IM, oral, nasal), ``volume_ml`` the volume at the final
    concentration (None without one). ``messages`` says why, refusals first.
    """

    verdict: DoseVerdict
    dose_mg: Decimal | None
    rate_mg_per_h: Decimal | None
    volume_ml: Decimal | None
    messages: tuple[str, ...]
    rate_ml_per_h: Decimal | None = None
    requested_dose_mg: Decimal | None = None
    #: The amount checked, in the protocol's basis (the session's step when none was given).
    amount: Decimal | None = None
    #: Nasal doses timed at the chair: how many devices or sprays, and which ("spray").
    unit_count: int | None = None
    unit_name: str = ""


def _decimal(name: str, value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return number


def _device_check(
    protocol: Protocol,
    check: dosing.RangeCheck,
    dose_mg: Decimal,
    prior_doses_mg: Sequence[Decimal] | None,
) -> tuple[dosing.RangeCheck, int | None]:
    """For nasal doses timed one by one (esketamine devices, intranasal racemic sprays): the
    count, a dose that is not a whole number of them refused, and the esketamine first-dose
    and escalation rules when the course's earlier doses are given."""
    if protocol.devices is None or check.verdict is dosing.Verdict.REFUSED:
        return check, None
    try:
        count = dosing.esketamine_device_count(dose_mg, protocol.devices)
    except dosing.DoseError as exc:
        return dosing.RangeCheck(dosing.Verdict.REFUSED, str(exc)), None
    if prior_doses_mg is not None:
        course = dosing.check_esketamine_dose(
            protocol.dose, dose_mg=dose_mg, prior_doses_mg=list(prior_doses_mg)
        )
        if course.verdict is not dosing.Verdict.WITHIN_RANGE:
            return course, count
    return check, count


def _session_amount(
    protocol: Protocol, value: Decimal | None, phase_code: str | None, session_in_phase: int
) -> tuple[Decimal, str | None]:
    """The amount to check (given, else the session's step, else the usual dose) and why it
    is not the session's step (an override), or None."""
    if phase_code is None:
        return (protocol.dose.usual if value is None else value), None
    if value is None:
        value = step_amount(protocol, phase_code, session_in_phase)
    if value is None:
        value = protocol.dose.usual
    return value, step_problem(protocol, phase_code, session_in_phase, value)


def dose_check(
    protocol_code: str,
    *,
    weight_kg: Decimal | float | int | str | None,
    amount: Decimal | float | int | str | None = None,
    final_concentration_mg_per_ml: Decimal | float | int | str | None = None,
    prior_doses_mg: Sequence[Decimal] | None = None,
    hepatic_impairment: str = "none",
    phase_code: str | None = None,
    session_in_phase: int = 1,
) -> DoseCheck:
    """Check one dose of a shipped protocol.

    ``amount`` is in the protocol's basis: mg (esketamine, fixed doses), mg/kg, or mg/kg/h (an
    infusion rate). With ``final_concentration_mg_per_ml`` the dose is drawn at that
    concentration (rounded to 0.1 mL) and, for IV, run as a whole container over the infusion.
    ``prior_doses_mg`` (the course's earlier doses) adds the esketamine first-dose and
    escalation rules; without it they are not judged. Examples: IV racemic for depression at
    70 kg, 0.5 mg/kg is 35 mg over 40 min (52.5 mg/h), "ok"; 0.8 mg/kg needs an override;
    above 1.0 mg/kg is refused; 100 mg/mL is never an IV final concentration.

    With ``phase_code`` (and ``session_in_phase``, 1 = the phase's first session) an
    ascending-dose phase gives the amount when none is given (anxiety, SC: the third step is
    1 mg/kg), and an amount other than the step needs an override. Without either, the amount
    is the protocol's usual dose. Intranasal racemic sprays and esketamine devices are counted
    in ``unit_count`` (50 mg = five 10 mg sprays).
    """
    protocol = SHIPPED_PROTOCOLS.get(protocol_code)
    if protocol is None:
        raise ValueError(
            f"protocol_code: allowed {', '.join(sorted(SHIPPED_PROTOCOLS))}; got {protocol_code!r}"
        )
    weight = _decimal("weight_kg", weight_kg)
    value = _decimal("amount", amount)
    final = _decimal("final_concentration_mg_per_ml", final_concentration_mg_per_ml)
    try:
        value, step_message = _session_amount(protocol, value, phase_code, session_in_phase)
    except dosing.DoseError as exc:
        return DoseCheck("refused", None, None, None, (str(exc),))
    iv = protocol.route in IV_ROUTES
    try:
        plan = plan_dose(
            protocol,
            weight_kg=weight,
            amount=value,
            concentration_mg_per_ml=None if iv else final,
            final_concentration_mg_per_ml=final if iv else None,
            # The container does not change the numbers: a syringe stands for either.
            container=Container.SYRINGE if iv else None,
        )
    except dosing.DoseError as exc:
        return DoseCheck("refused", None, None, None, (str(exc),))
    check = plan.check
    if step_message and check.verdict is dosing.Verdict.WITHIN_RANGE:
        check = dosing.RangeCheck(dosing.Verdict.NEEDS_OVERRIDE, step_message)
    messages: list[str] = []
    check, count = _device_check(protocol, check, plan.dose_mg, prior_doses_mg)
    verdict = _VERDICTS[check.verdict]
    if check.message:
        messages.append(check.message)
    hepatic = hepatic_dose_message(protocol, hepatic_impairment)
    if hepatic and verdict == "ok":
        verdict = "override_required"
    if hepatic:
        messages.append(hepatic)
    if plan.rate_capped:
        messages.append(
            f"{plan.uncapped_rate_mg_per_h} mg/h is above the protocol's cap: the rate is "
            f"capped at {plan.cap_rate_mg_per_h} mg/h."
        )
    if plan.rounding_changed_dose:
        messages.append(
            f"Requested {plan.requested_dose_mg} mg; {plan.dose_mg} mg is delivered at a "
            "measurable volume."
        )
    volume = plan.preparation.final_volume_ml if plan.preparation else plan.volume_ml
    return DoseCheck(
        verdict=verdict,
        dose_mg=plan.dose_mg,
        rate_mg_per_h=plan.rate_mg_per_h,
        volume_ml=volume,
        messages=tuple(messages),
        rate_ml_per_h=plan.rate_ml_per_h,
        requested_dose_mg=plan.requested_dose_mg,
        amount=value,
        unit_count=count,
        unit_name=protocol.devices.unit if protocol.devices is not None else "",
    )
