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
with a reason; a dose above the absolute cap is refused.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from ketaclinic.treatment.domain.protocol import (
    RATE_BASED,
    DeviceRule,
    DoseBasis,
    DoseRule,
    Protocol,
    Route,
)

__all__ = [
    "KG_PER_LB",
    "DoseError",
    "DosePlan",
    "DoseRefusedError",
    "FixedDosePlan",
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
    "plan_fixed_dose",
    "plan_weight_based_dose",
    "pounds_to_kg",
    "round_volume",
]

#: Exact by definition (international yard and pound agreement, 1959).
KG_PER_LB = Decimal("0.45359237")

#: Plausible adult weights; outside this the number is a typing error, not a patient.
WEIGHT_MIN_KG = Decimal("20")
WEIGHT_MAX_KG = Decimal("350")

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


def dose_mg_from_rule(
    rule: DoseRule,
    *,
    weight_kg: Decimal | None,
    amount: Decimal | None = None,
    infusion_minutes: int | None = None,
) -> Decimal:
    """The exact mg for ``amount`` in the rule's unit (default: the rule's usual dose).

    0.5 mg/kg x 70 kg = 35 mg; 0.35 mg/kg/h x 70 kg x 4 h = 98 mg; fixed 56 mg = 56 mg.
    """
    value = rule.usual if amount is None else amount
    if not value.is_finite() or value <= 0:
        raise DoseError("amount", f"must be above 0 {rule.basis}, got {value}")
    return value * _per_unit_factor(rule, weight_kg, _hours(infusion_minutes, rule.basis))


def max_dose_mg(
    rule: DoseRule, *, weight_kg: Decimal | None, infusion_minutes: int | None = None
) -> Decimal:
    """The absolute cap in mg for this patient: the rule's cap, and cap_total_mg if lower."""
    cap = rule.cap * _per_unit_factor(rule, weight_kg, _hours(infusion_minutes, rule.basis))
    if rule.cap_total_mg is not None:
        cap = min(cap, rule.cap_total_mg)
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
    if not rule.minimum * factor <= dose_mg <= rule.maximum * factor:
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
# The whole weight-based plan


@dataclass(frozen=True, slots=True)
class DosePlan:
    """What the chair shows: the dose in mg and mg/kg, for IV the volume and rate, and a verdict.

    ``verdict`` is REFUSED when the weight is too old (``weight.usable`` is False) or the dose is
    above the cap; NEEDS_OVERRIDE when it is outside the allowed range.
    """

    weight: WeightCheck
    weight_kg: Decimal
    requested_dose_mg: Decimal
    dose_mg: Decimal  # after rounding to a measurable volume
    dose_mg_per_kg: Decimal  # rounded half-even to 0.001, for display
    volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    infusion_minutes: int | None
    rounded_down_for_cap: bool
    check: RangeCheck

    @property
    def verdict(self) -> Verdict:
        return Verdict.REFUSED if not self.weight.usable else self.check.verdict


def plan_weight_based_dose(
    protocol: Protocol,
    *,
    weight_kg: Decimal,
    weight_measured_at: dt.datetime,
    now: dt.datetime,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
    increment_ml: Decimal = Decimal("0.1"),
) -> DosePlan:
    """The dose for a weight-based protocol from the patient's latest weight.

    ``amount`` is in the rule's unit (mg/kg or mg/kg/h; default the usual dose). For IV, IM and
    oral solutions give ``concentration_mg_per_ml`` to get the volume (and for IV infusions the
    pump rate). A requested dose above the cap is refused as is; only the rounding step is
    clamped to the cap.
    """
    rule = protocol.dose
    weight = check_weight_age(
        measured_at=weight_measured_at, now=now, max_age_days=rule.max_weight_age_days
    )
    minutes = protocol.infusion_minutes
    requested = dose_mg_from_rule(
        rule, weight_kg=weight_kg, amount=amount, infusion_minutes=minutes
    )
    dose = requested
    volume: Decimal | None = None
    rate: Decimal | None = None
    capped = False
    cap_mg = max_dose_mg(rule, weight_kg=weight_kg, infusion_minutes=minutes)
    if concentration_mg_per_ml is not None:
        rounding = round_volume(
            requested,
            concentration_mg_per_ml=concentration_mg_per_ml,
            increment_ml=increment_ml,
            # Clamp only when the requested dose itself is allowed; a refused dose stays refused.
            max_dose_mg=cap_mg if requested <= cap_mg else None,
        )
        volume, dose, capped = rounding.volume_ml, rounding.dose_mg, rounding.rounded_down_for_cap
        if protocol.route is Route.IV_INFUSION and minutes is not None:
            rate = infusion_rate_ml_per_h(volume, infusion_minutes=minutes)
    check = check_dose_range(rule, dose_mg=dose, weight_kg=weight_kg, infusion_minutes=minutes)
    return DosePlan(
        weight=weight,
        weight_kg=weight_kg,
        requested_dose_mg=requested,
        dose_mg=dose,
        dose_mg_per_kg=(dose / weight_kg).quantize(_MG_PER_KG_STEP, ROUND_HALF_EVEN),
        volume_ml=volume,
        rate_ml_per_h=rate,
        infusion_minutes=minutes,
        rounded_down_for_cap=capped,
        check=check,
    )


# --------------------------------------------------------------------------------------------
# Esketamine devices


def esketamine_device_count(dose_mg: Decimal, devices: DeviceRule) -> int:
    """Devices for a dose: 56 mg -> 2, 84 mg -> 3 (28 mg per device [NDC])."""
    if dose_mg <= 0 or dose_mg % devices.mg_per_device != 0:
        raise DoseError(
            "dose_mg",
            f"must be a whole number of {devices.mg_per_device} mg devices, got {dose_mg} mg",
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
    for i in range(1, len(given_at)):
        gap = given_at[i] - given_at[i - 1]
        if gap < step:
            problems.append(
                f"Device {i + 1} was given {gap.total_seconds() / 60:.1f} min after device {i}; "
                f"the label asks for at least {devices.minutes_between_devices} min between "
                "devices."
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


# --------------------------------------------------------------------------------------------
# Fixed doses (mg or mg/h, no weight)


@dataclass(frozen=True, slots=True)
class FixedDosePlan:
    """A dose that needs no weight: mg, for a liquid the volume and for an infusion the rate."""

    dose_mg: Decimal  # after rounding to a measurable volume when a concentration is given
    volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    check: RangeCheck


def plan_fixed_dose(
    protocol: Protocol,
    *,
    dose_mg: Decimal | None = None,
    amount: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
) -> FixedDosePlan:
    """The dose of a fixed mg or mg/h protocol (racemic ketamine): from the rule (``amount`` in
    the rule's unit, default the usual dose) unless ``dose_mg`` is given; with a concentration,
    rounded to a measurable volume (0.1 mL) and, for a timed infusion, the pump rate. Raises
    :class:`DoseError` when no dose can be computed."""
    rule = protocol.dose
    minutes = protocol.infusion_minutes
    mg = dose_mg_from_rule(rule, weight_kg=None, amount=amount, infusion_minutes=minutes)
    if dose_mg is not None:
        mg = dose_mg
    check = check_dose_range(rule, dose_mg=mg, weight_kg=None, infusion_minutes=minutes)
    volume = rate = None
    if concentration_mg_per_ml is not None:
        rounding = round_volume(mg, concentration_mg_per_ml=concentration_mg_per_ml)
        volume, mg = rounding.volume_ml, rounding.dose_mg
        if minutes:
            rate = infusion_rate_ml_per_h(volume, infusion_minutes=minutes)
        check = check_dose_range(rule, dose_mg=mg, weight_kg=None, infusion_minutes=minutes)
    return FixedDosePlan(dose_mg=mg, volume_ml=volume, rate_ml_per_h=rate, check=check)


def override_subject(dose_mg: Decimal) -> str:
    """What a prescriber's dose override names: the dose it allows (``dose:84``), so an override
    recorded for one dose does not cover another."""
    return f"dose:{dose_mg}"
