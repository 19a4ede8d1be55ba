"""The whole dose a session gives: mg and mg/kg, the volume drawn, for IV the bag or syringe and
the pump rate, the range verdict and the ceilings.

Pure module: no Django import. The arithmetic is ``dosing``'s (rounding rules in its docstring),
the IV preparation ``preparation``'s, the ceilings ``ceilings``'s; this module composes them in
one order, the same for the page, the recorded dose and ``safety.dose_check``:

1. the dose from the rule (``amount`` in the protocol's basis, default the usual dose), or a
   typed ``dose_mg`` for fixed-dose protocols; a rate above the rule's rate cap is lowered to
   it (CRPS: 25 mg/h), and the plan says so;
2. with a stock concentration, the volume drawn is rounded to a measurable increment and the
   dose given is that volume times the stock ("requested" and "delivered" mg both kept);
3. for IV, the bag or syringe (final concentration or final volume) and the pump rate;
4. the protocol's range and cap (out of range: a prescriber's override; above the cap: refused);
5. the ceilings (``ceilings.dose_problems``): refused, whatever the range said, no override.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from ketaclinic.treatment.domain import ceilings
from ketaclinic.treatment.domain.dosing import (
    DoseError,
    RangeCheck,
    Verdict,
    WeightCheck,
    check_dose_range,
    check_weight_age,
    dose_mg_from_rule,
    max_dose_mg,
    round_volume,
    uncapped_dose_mg,
)
from ketaclinic.treatment.domain.preparation import (
    Container,
    IvPreparation,
    PreparationError,
    check_final_concentration,
    prepare_container,
)
from ketaclinic.treatment.domain.protocol import WEIGHT_BASED, Phase, Protocol, Route

__all__ = [
    "IV_ROUTES",
    "DosePlan",
    "FixedDosePlan",
    "apply_ceilings",
    "phase_named",
    "plan_dose",
    "plan_fixed_dose",
    "plan_weight_based_dose",
    "step_amount",
    "step_choices",
    "step_problem",
]

IV_ROUTES = frozenset({Route.IV_INFUSION, Route.IV_BOLUS})

_MG_PER_KG_STEP = Decimal("0.001")
_RATE_STEP = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class DosePlan:
    """What the chair shows: the dose in mg (requested and delivered) and mg/kg, the volume,
    for IV the preparation and the pump rate, and a verdict.

    ``verdict`` is REFUSED when the weight is too old, the dose is above the cap or passes a
    ceiling; NEEDS_OVERRIDE when it is outside the allowed range.
    """

    weight: WeightCheck | None
    weight_kg: Decimal | None
    requested_dose_mg: Decimal  # from the rule (after the rate cap) or typed
    dose_mg: Decimal  # after rounding to a measurable volume: what is given
    dose_mg_per_kg: Decimal | None  # rounded half-even to 0.001, for display
    volume_ml: Decimal | None  # drawn from the stock
    rate_ml_per_h: Decimal | None
    infusion_minutes: int | None
    rounded_down_for_cap: bool
    check: RangeCheck
    rate_mg_per_h: Decimal | None = None
    uncapped_rate_mg_per_h: Decimal | None = None  # set when the rate cap lowered the rate
    cap_rate_mg_per_h: Decimal | None = None
    preparation: IvPreparation | None = None

    @property
    def verdict(self) -> Verdict:
        if self.weight is not None and not self.weight.usable:
            return Verdict.REFUSED
        return self.check.verdict

    @property
    def rate_capped(self) -> bool:
        return self.uncapped_rate_mg_per_h is not None

    @property
    def rounding_changed_dose(self) -> bool:
        return self.dose_mg != self.requested_dose_mg


#: Fixed-dose plans are plans without a weight.
FixedDosePlan = DosePlan


def apply_ceilings(
    protocol: Protocol, check: RangeCheck, *, dose_mg: Decimal, weight_kg: Decimal | None
) -> RangeCheck:
    """``check``, or REFUSED when the dose passes a ceiling of the drug and route (no override
    can allow it; without a weight, mg/kg is judged for the lightest patient)."""
    problems = ceilings.dose_problems(protocol, dose_mg=dose_mg, weight_kg=weight_kg)
    if problems:
        return RangeCheck(Verdict.REFUSED, " ".join(problems))
    return check


def _hours(minutes: int | None) -> Decimal | None:
    return Decimal(minutes) / 60 if minutes else None


def plan_dose(
    protocol: Protocol,
    *,
    weight_kg: Decimal | None,
    weight_measured_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    amount: Decimal | None = None,
    dose_mg: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    container: Container | str | None = None,
    increment_ml: Decimal = Decimal("0.1"),
) -> DosePlan:
    """One session's dose (see the module docstring for the order of the steps).

    ``concentration_mg_per_ml`` is the stock (the vial). For an IV dose give the final
    concentration or the final volume of the ``container`` (bag or syringe); without a stock, a
    final concentration alone is read as a ready-made solution drawn as it is. The weight's age
    is checked when ``weight_measured_at`` and ``now`` are given. Raises :class:`DoseError`
    naming the field when no dose can be computed or prepared.
    """
    rule = protocol.dose
    minutes = protocol.infusion_minutes if protocol.route is Route.IV_INFUSION else None
    weight = None
    if weight_measured_at is not None and now is not None:
        weight = check_weight_age(
            measured_at=weight_measured_at, now=now, max_age_days=rule.max_weight_age_days
        )
    if rule.basis in WEIGHT_BASED and weight_kg is None:
        raise DoseError("weight_kg", f"a {rule.basis} dose needs the patient's weight")
    rule_weight = weight_kg if rule.basis in WEIGHT_BASED else None
    requested, uncapped_rate = _requested(
        protocol, weight_kg=rule_weight, amount=amount, dose_mg=dose_mg, minutes=minutes
    )
    cap_mg = max_dose_mg(rule, weight_kg=rule_weight, infusion_minutes=protocol.infusion_minutes)
    iv = protocol.route in IV_ROUTES
    stock = concentration_mg_per_ml
    if iv and stock is None:
        if final_volume_ml is not None:
            raise DoseError(
                "concentration_mg_per_ml", "give the stock concentration the dose is drawn from"
            )
        stock = final_concentration_mg_per_ml
    dose, volume, capped, prep = requested, None, False, None
    if stock is not None:
        if iv and final_concentration_mg_per_ml is not None:
            _check_final(final_concentration_mg_per_ml, stock)
        rounding = round_volume(
            requested,
            concentration_mg_per_ml=stock,
            increment_ml=increment_ml,
            # Clamp only when the requested dose itself is allowed; a refused dose stays refused.
            max_dose_mg=cap_mg if requested <= cap_mg else None,
        )
        volume, dose, capped = rounding.volume_ml, rounding.dose_mg, rounding.rounded_down_for_cap
        if iv:
            try:
                prep = prepare_container(
                    dose_mg=dose,
                    stock_concentration_mg_per_ml=stock,
                    stock_volume_ml=volume,
                    container=container,
                    final_concentration_mg_per_ml=final_concentration_mg_per_ml,
                    final_volume_ml=final_volume_ml,
                    infusion_minutes=minutes,
                )
            except PreparationError as exc:
                raise DoseError(exc.field, exc.message) from None
    hours = _hours(minutes)
    rate_mg = (dose / hours).quantize(_RATE_STEP, ROUND_HALF_UP) if hours else None
    check = check_dose_range(
        rule, dose_mg=dose, weight_kg=rule_weight, infusion_minutes=protocol.infusion_minutes
    )
    value = rule.usual if amount is None else amount
    if dose_mg is None and value > rule.cap:
        # Asked above the cap: refused as asked, even where the rate cap would lower the dose.
        unit = rule.basis.value.replace("_per_", "/").replace("_", " ")
        check = RangeCheck(
            Verdict.REFUSED,
            f"{value} {unit} is above the absolute cap of {rule.cap} {unit}; refused.",
        )
    check = apply_ceilings(protocol, check, dose_mg=dose, weight_kg=weight_kg)
    return DosePlan(
        weight=weight,
        weight_kg=weight_kg,
        requested_dose_mg=requested,
        dose_mg=dose,
        dose_mg_per_kg=(
            (dose / weight_kg).quantize(_MG_PER_KG_STEP, ROUND_HALF_EVEN) if weight_kg else None
        ),
        volume_ml=volume,
        rate_ml_per_h=prep.rate_ml_per_h if prep else None,
        infusion_minutes=minutes,
        rounded_down_for_cap=capped,
        check=check,
        rate_mg_per_h=rate_mg,
        uncapped_rate_mg_per_h=uncapped_rate,
        cap_rate_mg_per_h=rule.cap_rate_mg_per_h,
        preparation=prep,
    )


def _requested(
    protocol: Protocol,
    *,
    weight_kg: Decimal | None,
    amount: Decimal | None,
    dose_mg: Decimal | None,
    minutes: int | None,
) -> tuple[Decimal, Decimal | None]:
    """The mg asked for (typed, or from the rule after its rate cap) and, when the rate cap
    lowered it, the rate before the cap (mg/h)."""
    rule = protocol.dose
    if dose_mg is not None:
        if not dose_mg.is_finite() or dose_mg <= 0:
            raise DoseError("dose_mg", f"must be above 0 mg, got {dose_mg}")
        return dose_mg, None
    minutes_all = protocol.infusion_minutes
    requested = dose_mg_from_rule(
        rule, weight_kg=weight_kg, amount=amount, infusion_minutes=minutes_all
    )
    exact = uncapped_dose_mg(rule, weight_kg=weight_kg, amount=amount, infusion_minutes=minutes_all)
    if exact > requested and minutes:
        return requested, (exact * 60 / minutes).quantize(_RATE_STEP, ROUND_HALF_UP)
    return requested, None


def _above_cap(
    protocol: Protocol, amount: Decimal | None, dose_mg: Decimal | None
) -> RangeCheck | None:
    """An amount asked above the cap is refused as asked, even where the rate cap would lower
    the dose it gives."""
    rule = protocol.dose
    value = rule.usual if amount is None else amount
    if dose_mg is not None or value <= rule.cap:
        return None
    unit = rule.basis.value.replace("_per_", "/").replace("_", " ")
    return RangeCheck(
        Verdict.REFUSED, f"{value} {unit} is above the absolute cap of {rule.cap} {unit}; refused."
    )


def _check_final(final: Decimal, stock: Decimal) -> None:
    try:
        check_final_concentration(final, stock_concentration_mg_per_ml=stock)
    except PreparationError as exc:
        raise DoseError(exc.field, exc.message) from None


def plan_weight_based_dose(
    protocol: Protocol,
    *,
    weight_kg: Decimal,
    weight_measured_at: dt.datetime,
    now: dt.datetime,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    container: Container | str | None = None,
    increment_ml: Decimal = Decimal("0.1"),
) -> DosePlan:
    """The dose for a weight-based protocol from the patient's latest weight (its age checked).

    ``amount`` is in the rule's unit (mg/kg or mg/kg/h; default the usual dose). A requested
    dose above the cap is refused as is; only the rounding step is clamped to the cap.
    """
    return plan_dose(
        protocol,
        weight_kg=weight_kg,
        weight_measured_at=weight_measured_at,
        now=now,
        amount=amount,
        concentration_mg_per_ml=concentration_mg_per_ml,
        final_concentration_mg_per_ml=final_concentration_mg_per_ml,
        final_volume_ml=final_volume_ml,
        container=container,
        increment_ml=increment_ml,
    )


def plan_fixed_dose(
    protocol: Protocol,
    *,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    container: Container | str | None = None,
    weight_kg: Decimal | None = None,
) -> DosePlan:
    """The dose of a fixed mg or mg/h protocol (racemic ketamine): from the rule (``amount`` in
    the rule's unit, default the usual dose) unless ``dose_mg`` is given. The weight, when
    known, is used for the mg/kg ceilings only (else the lightest patient's)."""
    plan = plan_dose(
        protocol,
        weight_kg=weight_kg,
        amount=amount,
        dose_mg=dose_mg,
        concentration_mg_per_ml=concentration_mg_per_ml,
        final_concentration_mg_per_ml=final_concentration_mg_per_ml,
        final_volume_ml=final_volume_ml,
        container=container,
    )
    return replace(plan, dose_mg_per_kg=None) if weight_kg is None else plan


# --------------------------------------------------------------------------------------------
# Ascending-dose phases: the step of a session is data (``Phase.dose_steps``)


def phase_named(protocol: Protocol, phase_code: str) -> Phase:
    """The phase ``phase_code`` of the protocol's schedule; DoseError naming the allowed codes."""
    for ph in protocol.schedule:
        if ph.code == phase_code:
            return ph
    allowed = ", ".join(ph.code for ph in protocol.schedule)
    raise DoseError("phase_code", f"allowed: {allowed}; got {phase_code!r}")


def step_choices(protocol: Protocol, phase_code: str) -> tuple[Decimal, ...]:
    """The amounts (in the rule's basis) a phase doses from: its own steps, or the steps of the
    phase it takes the dose that worked from (maintenance); empty for an ordinary phase."""
    ph = phase_named(protocol, phase_code)
    if ph.dose_steps:
        return ph.dose_steps
    if ph.dose_from_steps_of:
        return phase_named(protocol, ph.dose_from_steps_of).dose_steps
    return ()


def step_amount(protocol: Protocol, phase_code: str, session_in_phase: int) -> Decimal | None:
    """The step of the ``session_in_phase``-th session (1 = the first) of an ascending-dose
    phase, in the rule's basis; None for a phase without steps or past its last step, and for
    a maintenance phase, whose dose the prescriber chooses among the steps.

    Anxiety, SC (Glue et al. 2017): sessions 1, 2, 3 are 0.25, 0.5, 1 mg/kg.
    """
    if session_in_phase < 1:
        raise DoseError("session_in_phase", f"allowed: 1 or more, got {session_in_phase}")
    steps = phase_named(protocol, phase_code).dose_steps
    return steps[session_in_phase - 1] if session_in_phase <= len(steps) else None


def step_problem(
    protocol: Protocol, phase_code: str, session_in_phase: int, amount: Decimal
) -> str | None:
    """Why ``amount`` is not this session's step (a prescriber's override with a reason can
    still allow it, within the cap and the ceilings), or None."""
    unit = protocol.dose.basis.value.replace("_per_", "/").replace("_", " ")
    ph = phase_named(protocol, phase_code)
    step = step_amount(protocol, phase_code, session_in_phase)
    if ph.dose_steps:
        if step is None:
            return (
                f"{ph.name} has {len(ph.dose_steps)} steps; session {session_in_phase} is "
                "beyond them: a prescriber override with a reason is needed."
            )
        if amount != step:
            return (
                f"Session {session_in_phase} of {ph.name} is the step {step} {unit}, not "
                f"{amount} {unit}: a prescriber override with a reason is needed."
            )
        return None
    choices = step_choices(protocol, phase_code)
    if choices and amount not in choices:
        allowed = ", ".join(f"{c} {unit}" for c in choices)
        return (
            f"{ph.name} doses at one of the titration steps ({allowed}), the one that worked; "
            f"{amount} {unit} needs a prescriber override with a reason."
        )
    return None
