"""Dose arithmetic: weight, mg and mg/kg, IV volume and rate, range and cap, esketamine devices.

Pure module: no Django import. All quantities are :class:`~decimal.Decimal` (never float) with
the unit in the name. Rounding rules, in one place:

* Weight in pounds is converted with the exact factor 0.45359237 kg/lb and rounded half-even to
  0.01 kg.
* A dose is computed exactly (Decimal arithmetic, 28 significant digits).
* The volume to draw up is rounded to the nearest measurable increment (default 0.1 mL), halves
  up; the dose actually given is that volume times the concentration, and *that* rounded dose is
  what is reported, range-checked and recorded. If rounding up would put the dose above the
  absolute cap, the volume is rounded down instead, so a rounded volume never exceeds the cap.
* The pump rate (mL/h) is rounded half-up to 0.1 mL/h; this changes the infusion time by
  seconds, never the volume or the dose.
* mg/kg for display is rounded half-even to 0.001 mg/kg; comparisons with the range and the cap
  never divide, they multiply (dose_mg > cap * weight), so they are exact.

Range and cap (issue 4): a dose outside the protocol's allowed range needs a prescriber override
with a reason; a dose above the absolute cap is refused. A rate-based rule with a rate cap
(CRPS: 25 mg/h) lowers the computed rate to the cap, which counts as within the range.

The whole dose of a session (rule, rounding, IV preparation, range, the drug-and-route ceilings
of ``ceilings.py``) is composed in ``dose_plan.py``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from ketaclinic.treatment.domain.protocol import (
    DOSING_WEIGHT_MAX_KG,
    DOSING_WEIGHT_MIN_KG,
    RATE_BASED,
    DeviceRule,
    DoseBasis,
    DoseRule,
)

__all__ = [
    "KG_PER_LB",
    "DoseError",
    "DoseRefusedError",
    "OverrideRequiredError",
    "RangeCheck",
    "Verdict",
    "VolumeRounding",
    "WeightCheck",
    "accept_dose",
    "check_device_timing",
    "check_dose_range",
    "check_esketamine_dose",
    "check_weight_age",
    "device_times",
    "dose_mg_from_rule",
    "esketamine_device_count",
    "esketamine_dose_to_give",
    "infusion_rate_ml_per_h",
    "max_dose_mg",
    "override_subject",
    "pounds_to_kg",
    "rate_cap_mg",
    "round_volume",
]

#: Exact by definition (international yard and pound agreement, 1959).
KG_PER_LB = Decimal("0.45359237")

#: Plausible adult weights; outside this the number is a typing error, not a patient.
WEIGHT_MIN_KG = DOSING_WEIGHT_MIN_KG
WEIGHT_MAX_KG = DOSING_WEIGHT_MAX_KG

_KG_STEP = Decimal("0.01")
_MG_PER_KG_STEP = Decimal("0.001")
_RATE_STEP = Decimal("0.1")


class DoseError(ValueError):
    """An input no dose can be computed from; the message names the field and allowed values."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class DoseRefusedError(DoseError):
    """The dose is above the absolute cap or breaks a label rule: no override is possible."""


class OverrideRequiredError(DoseError):
    """The dose is outside the allowed range and no prescriber reason was given."""


def pounds_to_kg(weight_lb: Decimal) -> Decimal:
    """Pounds to kilograms, rounded half-even to 0.01 kg."""
    if weight_lb <= 0:
        raise DoseError("weight_lb", f"must be above 0, got {weight_lb}")
    return (weight_lb * KG_PER_LB).quantize(_KG_STEP, ROUND_HALF_EVEN)


def _check_weight(weight_kg: Decimal) -> None:
    if not weight_kg.is_finite() or not WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG:
        raise DoseError("weight_kg", f"allowed {WEIGHT_MIN_KG}-{WEIGHT_MAX_KG} kg, got {weight_kg}")


# --------------------------------------------------------------------------------------------
# Weight age


@dataclass(frozen=True, slots=True)
class WeightCheck:
    usable: bool
    age_days: int
    max_age_days: int
    message: str


def check_weight_age(
    *, measured_at: dt.datetime, now: dt.datetime, max_age_days: int
) -> WeightCheck:
    """Whether a weight is recent enough to dose from (issue 4: older than allowed -> re-measure).

    A weight exactly ``max_age_days`` old (to the second) is still usable; one second more is not.
    """
    for name, value in (("measured_at", measured_at), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise DoseError(name, "must be an aware datetime (UTC or with a time zone)")
    if measured_at > now:
        raise DoseError("measured_at", f"is in the future ({measured_at.isoformat()})")
    age = now - measured_at
    limit = dt.timedelta(days=max_age_days)
    if age > limit:
        return WeightCheck(
            usable=False,
            age_days=age.days,
            max_age_days=max_age_days,
            message=(
                f"The latest weight is {age.days} days old; this protocol accepts a weight at "
                f"most {max_age_days} days old. Weigh the patient again before dosing."
            ),
        )
    return WeightCheck(usable=True, age_days=age.days, max_age_days=max_age_days, message="")


# --------------------------------------------------------------------------------------------
# Dose from the rule, range and cap


def _hours(infusion_minutes: int | None, basis: DoseBasis) -> Decimal:
    if basis not in RATE_BASED:
        return Decimal(1)
    if infusion_minutes is None or infusion_minutes <= 0:
        raise DoseError("infusion_minutes", f"a {basis} dose needs a duration above 0 minutes")
    return Decimal(infusion_minutes) / Decimal(60)


def _per_unit_factor(rule: DoseRule, weight_kg: Decimal | None, hours: Decimal) -> Decimal:
    """mg per one unit of the rule's basis (mg/kg -> weight; mg/kg/h -> weight x hours)."""
    if rule.basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR):
        if weight_kg is None:
            raise DoseError("weight_kg", f"a {rule.basis} dose needs the patient's weight")
        _check_weight(weight_kg)
        return weight_kg * hours
    return hours


def rate_cap_mg(rule: DoseRule, *, infusion_minutes: int | None) -> Decimal | None:
    """The session mg at the rule's rate cap (``cap_rate_mg_per_h`` x hours), or None."""
    if rule.cap_rate_mg_per_h is None or rule.basis not in RATE_BASED:
        return None
    return rule.cap_rate_mg_per_h * _hours(infusion_minutes, rule.basis)


def uncapped_dose_mg(
    rule: DoseRule,
    *,
    weight_kg: Decimal | None,
    amount: Decimal | None = None,
    infusion_minutes: int | None = None,
) -> Decimal:
    """The exact mg for ``amount`` in the rule's unit, before the rate cap."""
    value = rule.usual if amount is None else amount
    if not value.is_finite() or value <= 0:
        raise DoseError("amount", f"must be above 0 {rule.basis}, got {value}")
    return value * _per_unit_factor(rule, weight_kg, _hours(infusion_minutes, rule.basis))


def dose_mg_from_rule(
    rule: DoseRule,
    *,
    weight_kg: Decimal | None,
    amount: Decimal | None = None,
    infusion_minutes: int | None = None,
) -> Decimal:
    """The exact mg for ``amount`` in the rule's unit (default: the rule's usual dose), the rate
    lowered to the rule's rate cap if it has one.

    0.5 mg/kg x 70 kg = 35 mg; 0.35 mg/kg/h x 70 kg x 4 h = 98 mg; fixed 56 mg = 56 mg;
    0.35 mg/kg/h x 80 kg = 28 mg/h, capped at 25 mg/h: 25 mg/h x 4 h = 100 mg.
    """
    mg = uncapped_dose_mg(
        rule, weight_kg=weight_kg, amount=amount, infusion_minutes=infusion_minutes
    )
    cap = rate_cap_mg(rule, infusion_minutes=infusion_minutes)
    return mg if cap is None else min(mg, cap)


def max_dose_mg(
    rule: DoseRule, *, weight_kg: Decimal | None, infusion_minutes: int | None = None
) -> Decimal:
    """The absolute cap in mg for this patient: the rule's cap, and cap_total_mg and the rate
    cap if lower."""
    cap = rule.cap * _per_unit_factor(rule, weight_kg, _hours(infusion_minutes, rule.basis))
    if rule.cap_total_mg is not None:
        cap = min(cap, rule.cap_total_mg)
    rate_cap = rate_cap_mg(rule, infusion_minutes=infusion_minutes)
    if rate_cap is not None:
        cap = min(cap, rate_cap)
    return cap


class Verdict(enum.StrEnum):
    WITHIN_RANGE = "within_range"
    NEEDS_OVERRIDE = "needs_override"  # outside the allowed range: prescriber reason required
    REFUSED = "refused"  # above the absolute cap, or against a label rule


@dataclass(frozen=True, slots=True)
class RangeCheck:
    verdict: Verdict
    message: str


def check_dose_range(
    rule: DoseRule,
    *,
    dose_mg: Decimal,
    weight_kg: Decimal | None,
    infusion_minutes: int | None = None,
) -> RangeCheck:
    """Compare a dose in mg with the rule's allowed range and absolute cap (exact)."""
    if not dose_mg.is_finite() or dose_mg <= 0:
        raise DoseError("dose_mg", f"must be above 0 mg, got {dose_mg}")
    factor = _per_unit_factor(rule, weight_kg, _hours(infusion_minutes, rule.basis))
    unit = rule.basis.value.replace("_per_", "/").replace("_", " ")
    shown = (dose_mg / factor).quantize(_MG_PER_KG_STEP, ROUND_HALF_EVEN)
    if dose_mg > rule.cap * factor:
        return RangeCheck(
            Verdict.REFUSED,
            f"{dose_mg} mg ({shown} {unit}) is above the absolute cap of {rule.cap} {unit}; "
            "refused.",
        )
    if rule.cap_total_mg is not None and dose_mg > rule.cap_total_mg:
        return RangeCheck(
            Verdict.REFUSED,
            f"{dose_mg} mg is above the absolute cap of {rule.cap_total_mg} mg per session; "
            "refused.",
        )
    low, high = rule.minimum * factor, rule.maximum * factor
    rate_cap = rate_cap_mg(rule, infusion_minutes=infusion_minutes)
    if rate_cap is not None:
        if dose_mg > rate_cap:
            return RangeCheck(
                Verdict.REFUSED,
                f"{dose_mg} mg is above the rate cap of {rule.cap_rate_mg_per_h} mg/h "
                f"({rate_cap} mg over the infusion); refused.",
            )
        # The rule's rate is lowered to the cap: the cap itself is within the range.
        low, high = min(low, rate_cap), min(high, rate_cap)
    if not low <= dose_mg <= high:
        return RangeCheck(
            Verdict.NEEDS_OVERRIDE,
            f"{dose_mg} mg ({shown} {unit}) is outside the allowed range "
            f"{rule.minimum}-{rule.maximum} {unit}: a prescriber override with a reason is needed.",
        )
    if rule.fixed_doses_mg and dose_mg not in rule.fixed_doses_mg:
        allowed = ", ".join(f"{mg} mg" for mg in rule.fixed_doses_mg)
        return RangeCheck(
            Verdict.NEEDS_OVERRIDE,
            f"{dose_mg} mg is not one of the protocol's doses ({allowed}): "
            "a prescriber override with a reason is needed.",
        )
    return RangeCheck(Verdict.WITHIN_RANGE, "")


def accept_dose(check: RangeCheck, *, override_reason: str | None) -> None:
    """Raise unless the dose may be given: refused doses never; out-of-range ones with a reason."""
    if check.verdict is Verdict.REFUSED:
        raise DoseRefusedError("dose_mg", check.message)
    if check.verdict is Verdict.NEEDS_OVERRIDE and not (override_reason or "").strip():
        raise OverrideRequiredError("override_reason", check.message)


# --------------------------------------------------------------------------------------------
# Volume and rate


@dataclass(frozen=True, slots=True)
class VolumeRounding:
    exact_volume_ml: Decimal
    volume_ml: Decimal  # rounded to the increment: what is drawn up
    dose_mg: Decimal  # volume_ml x concentration: what is given and recorded
    rounded_down_for_cap: bool


def round_volume(
    dose_mg: Decimal,
    *,
    concentration_mg_per_ml: Decimal,
    increment_ml: Decimal = Decimal("0.1"),
    max_dose_mg: Decimal | None = None,
) -> VolumeRounding:
    """The measurable volume for ``dose_mg`` and the dose it really contains.

    Nearest increment, halves up; rounded down instead when rounding up would exceed
    ``max_dose_mg`` (the absolute cap), so the result never exceeds the cap.
    """
    if not concentration_mg_per_ml.is_finite() or concentration_mg_per_ml <= 0:
        raise DoseError(
            "concentration_mg_per_ml", f"must be above 0 mg/mL, got {concentration_mg_per_ml}"
        )
    if not increment_ml.is_finite() or not Decimal("0.001") <= increment_ml <= Decimal("5"):
        raise DoseError("increment_ml", f"allowed 0.001-5 mL, got {increment_ml}")
    if not dose_mg.is_finite() or dose_mg <= 0:
        raise DoseError("dose_mg", f"must be above 0 mg, got {dose_mg}")
    exact = dose_mg / concentration_mg_per_ml
    steps = (exact / increment_ml).quantize(Decimal(1), ROUND_HALF_UP)
    volume = steps * increment_ml
    capped = False
    if max_dose_mg is not None and volume * concentration_mg_per_ml > max_dose_mg:
        floor_steps = (max_dose_mg / concentration_mg_per_ml / increment_ml).quantize(
            Decimal(1), ROUND_FLOOR
        )
        volume = floor_steps * increment_ml
        capped = True
    if volume <= 0:
        raise DoseError(
            "dose_mg",
            f"{dose_mg} mg at {concentration_mg_per_ml} mg/mL is below the smallest measurable "
            f"volume ({increment_ml} mL); use a lower concentration",
        )
    return VolumeRounding(
        exact_volume_ml=exact,
        volume_ml=volume,
        dose_mg=volume * concentration_mg_per_ml,
        rounded_down_for_cap=capped,
    )


def infusion_rate_ml_per_h(volume_ml: Decimal, *, infusion_minutes: int) -> Decimal:
    """Pump rate in mL/h, rounded half-up to 0.1 mL/h (40 min for 17.5 mL -> 26.3 mL/h)."""
    if infusion_minutes <= 0:
        raise DoseError("infusion_minutes", f"must be above 0, got {infusion_minutes}")
    if volume_ml <= 0:
        raise DoseError("volume_ml", f"must be above 0 mL, got {volume_ml}")
    return (volume_ml * 60 / Decimal(infusion_minutes)).quantize(_RATE_STEP, ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# Esketamine devices


def esketamine_device_count(dose_mg: Decimal, devices: DeviceRule) -> int:
    """Devices for a dose: 56 mg -> 2, 84 mg -> 3 (28 mg per device [NDC]); sprays for an
    intranasal racemic dose: 50 mg -> 5 (10 mg per spray, Lapidus 2014)."""
    if dose_mg <= 0 or dose_mg % devices.mg_per_device != 0:
        raise DoseError(
            "dose_mg",
            f"must be a whole number of {devices.mg_per_device} mg {devices.unit}s, "
            f"got {dose_mg} mg",
        )
    return int(dose_mg / devices.mg_per_device)


def device_times(
    first_device_at: dt.datetime, count: int, devices: DeviceRule
) -> list[dt.datetime]:
    """The earliest time of each device: one every ``minutes_between_devices`` (5 min [MIMS])."""
    if count < 1:
        raise DoseError("count", f"at least 1 device, got {count}")
    step = dt.timedelta(minutes=devices.minutes_between_devices)
    return [first_device_at + i * step for i in range(count)]


def check_device_timing(given_at: Sequence[dt.datetime], devices: DeviceRule) -> list[str]:
    """Messages for devices given too soon after the previous one (5 min rest [MIMS])."""
    problems: list[str] = []
    step = dt.timedelta(minutes=devices.minutes_between_devices)
    unit = devices.unit
    # Esketamine: the label's 5 min [MIMS]; intranasal racemic sprays: the protocol's (5 min,
    # Lapidus 2014).
    who = "the label asks" if unit == "device" else "the protocol asks"
    for i in range(1, len(given_at)):
        gap = given_at[i] - given_at[i - 1]
        if gap < step:
            problems.append(
                f"{unit.capitalize()} {i + 1} was given {gap.total_seconds() / 60:.1f} min after "
                f"{unit} {i}; {who} for at least {devices.minutes_between_devices} min between "
                f"{unit}s."
            )
    return problems


def check_esketamine_dose(
    rule: DoseRule, *, dose_mg: Decimal, prior_doses_mg: Sequence[Decimal]
) -> RangeCheck:
    """Range, cap, first dose and escalation rules for an esketamine dose.

    TRD: day 1 is 56 mg; 84 mg only after a first 56 mg dose [HCP]. An escalation without its
    prerequisite is refused (a label rule, not a range preference); a first dose other than the
    protocol's first dose needs an override.
    """
    base = check_dose_range(rule, dose_mg=dose_mg, weight_kg=None)
    if base.verdict is Verdict.REFUSED:
        return base
    for esc in rule.escalations:
        if dose_mg == esc.dose_mg and esc.requires_prior_mg not in prior_doses_mg:
            return RangeCheck(
                Verdict.REFUSED,
                f"{esc.dose_mg} mg is given only after a first {esc.requires_prior_mg} mg dose; "
                f"no earlier {esc.requires_prior_mg} mg dose is recorded in this course.",
            )
    if not prior_doses_mg and rule.first_dose_mg is not None and dose_mg != rule.first_dose_mg:
        return RangeCheck(
            Verdict.NEEDS_OVERRIDE,
            f"The first dose of this protocol is {rule.first_dose_mg} mg, not {dose_mg} mg: "
            "a prescriber override with a reason is needed.",
        )
    return base


def esketamine_dose_to_give(
    rule: DoseRule, *, requested_mg: Decimal | None, prior_doses_mg: Sequence[Decimal]
) -> Decimal:
    """The esketamine dose to check: the one asked for, else the protocol's first dose when the
    course has no earlier dose, else its usual dose."""
    if requested_mg is not None:
        return requested_mg
    if not prior_doses_mg and rule.first_dose_mg is not None:
        return rule.first_dose_mg
    return rule.usual


def override_subject(dose_mg: Decimal) -> str:
    """What a prescriber's dose override names: the dose it allows (``dose:84``), so an override
    recorded for one dose does not cover another."""
    return f"dose:{dose_mg}"
