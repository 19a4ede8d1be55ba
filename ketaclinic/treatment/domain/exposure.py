"""A treatment protocol on the exposure pages: its doses for one session, as engine doses (pure).

The protocol-to-doses adapter between treatment's :class:`~ketaclinic.treatment.domain.protocol.
Protocol` and the exposure engine of :mod:`ketaclinic.pharmacology`: :func:`doses_for_protocol`
works out one session's engine :class:`~ketaclinic.pharmacology.Dose` objects for a weight,
:func:`model_for` and :func:`spread_models_for` choose the models, :func:`time_grid` the times,
and :func:`build_exposure` composes them with
:func:`~ketaclinic.pharmacology.presentation.predict_exposure` into what the exposure pages show.

No Django import. Output is decision support for clinicians, never a dosing order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal

from ketaclinic.lib.svgchart import plain_number as _fmt
from ketaclinic.pharmacology.presentation import (
    DEFAULT_LEVELS_NG_ML,
    ESKETAMINE_MODEL,
    POPULATION_N,
    POPULATION_SEED,
    RACEMIC_IV_MODELS,
    RACEMIC_MODEL,
    ExposurePrediction,
    PlannedDoses,
    band_times_for,
    check_weight,
    curve_times,
    predict_exposure,
)
from ketaclinic.pharmacology.structures import Dose, FloatArray
from ketaclinic.treatment.domain import ceilings
from ketaclinic.treatment.domain.dosing import DoseError, dose_mg_from_rule, max_dose_mg
from ketaclinic.treatment.domain.protocol import DoseBasis, Drug, Protocol, Route

__all__ = [
    "SUBCUTANEOUS_ASSUMPTION",
    "ExposureView",
    "amount_problem",
    "build_exposure",
    "ceiling_problem",
    "doses_for_protocol",
    "model_for",
    "population_grid",
    "spread_models_for",
    "time_grid",
]

_ENGINE_ROUTE = {
    Route.IV_INFUSION: "iv",
    Route.IV_BOLUS: "iv",
    Route.IM: "im",
    # No subcutaneous parameters are published (clinical.md 3; pharmacokinetics.md): SC borrows
    # the IM depot (bioavailability and absorption rate), shown as an assumption on the page.
    Route.SUBCUTANEOUS: "im",
    Route.ORAL: "oral",
    Route.INTRANASAL_RACEMIC: "intranasal",
    Route.ESKETAMINE_NASAL: "esketamine_nasal",
}

#: Shown with the assumptions of every subcutaneous simulation.
SUBCUTANEOUS_ASSUMPTION = (
    "Subcutaneous: no published subcutaneous parameters (clinical.md section 3, "
    "pharmacokinetics.md); the IM bioavailability and absorption rate below are used instead "
    "(assumed)."
)
_ROUTE_TEXT = {
    Route.IV_INFUSION: "IV infusion",
    Route.IV_BOLUS: "IV bolus",
    Route.IM: "IM injection",
    Route.SUBCUTANEOUS: "subcutaneous",
    Route.ORAL: "oral",
    Route.INTRANASAL_RACEMIC: "intranasal",
    Route.ESKETAMINE_NASAL: "nasal spray",
}


def amount_problem(protocol: Protocol, amount: Decimal) -> str | None:
    """Why ``amount`` (in the unit of the protocol's dose basis) cannot be simulated, or None.

    Any value up to the protocol's absolute cap may be explored (a dose outside the usual range
    needs a prescriber's override at the chair, not here); fixed-dose protocols take only their
    listed doses.
    """
    rule = protocol.dose
    if not amount.is_finite() or amount <= 0:
        return f"Enter a dose above 0 {rule.basis.replace('_', ' ')}."
    if rule.fixed_doses_mg:
        if amount not in rule.fixed_doses_mg:
            allowed = ", ".join(f"{_fmt(mg)} mg" for mg in rule.fixed_doses_mg)
            return f"This protocol's doses are {allowed}."
        return None
    if amount > rule.cap:
        return (
            f"The protocol's absolute cap is {_fmt(rule.cap, 3)} {rule.basis.unit}; "
            f"enter at most that."
        )
    return None


def ceiling_problem(protocol: Protocol, weight_kg: float, amount: Decimal | None) -> str | None:
    """Why one session of ``protocol`` at ``weight_kg`` (``amount`` in its basis, default the
    usual dose) passes a drug-and-route ceiling (``ceilings.py``), or None. A stored version
    from before the ceilings (the first release accepted 56 mg/kg IV) is never simulated."""
    weight = Decimal(str(weight_kg))
    try:
        mg = dose_mg_from_rule(
            protocol.dose,
            weight_kg=weight,
            amount=amount,
            infusion_minutes=protocol.infusion_minutes,
        )
    except DoseError as exc:
        return str(exc)
    problems = ceilings.dose_problems(protocol, dose_mg=mg, weight_kg=weight)
    return " ".join(problems) if problems else None


def doses_for_protocol(
    protocol: Protocol, weight_kg: float, amount: Decimal | None = None
) -> PlannedDoses:
    """One session of ``protocol`` for a patient of ``weight_kg``, as engine doses.

    ``amount`` is in the unit of the dose basis (default: the protocol's usual dose). Rates are
    multiplied by the infusion time; a total above ``cap_total_mg`` is lowered to it (noted).
    Esketamine is one nasal dose of whole 28 mg devices given ``minutes_between_devices`` apart
    (the engine applies the Perez-Ruixo device rule to devices of one session).
    """
    rule = protocol.dose
    value = rule.usual if amount is None else amount
    problem = amount_problem(protocol, value)
    if problem is not None:
        raise ValueError(problem)
    weight = Decimal(str(weight_kg))
    mg_exact = dose_mg_from_rule(
        rule, weight_kg=weight, amount=value, infusion_minutes=protocol.infusion_minutes
    )
    notes: list[str] = []
    if rule.cap_total_mg is not None and mg_exact > rule.cap_total_mg:
        cap = max_dose_mg(rule, weight_kg=weight, infusion_minutes=protocol.infusion_minutes)
        notes.append(
            f"{_fmt(mg_exact)} mg is above the protocol's total cap of "
            f"{_fmt(rule.cap_total_mg)} mg; {_fmt(cap)} mg is simulated."
        )
        mg_exact = cap
    mg = float(mg_exact)
    unit = rule.basis.unit
    route = _ENGINE_ROUTE[protocol.route]
    if protocol.route is Route.ESKETAMINE_NASAL:
        if protocol.devices is None:
            raise ValueError("an esketamine protocol needs its device rule")
        per_device = float(protocol.devices.mg_per_device)
        interval = float(protocol.devices.minutes_between_devices)
        dose = Dose(route, mg, 0.0, device_interval_min=interval)
        count = round(mg / per_device)
        description = (
            f"{_fmt(mg)} mg esketamine: {count} devices of {_fmt(per_device)} mg, "
            f"{_fmt(interval)} min apart"
        )
    elif protocol.route is Route.INTRANASAL_RACEMIC and protocol.devices is not None:
        # Sprays timed at the chair, each its own intranasal dose (Lapidus et al. 2014: five
        # 10 mg sprays 5 min apart; clinical.md 13).
        per_spray = float(protocol.devices.mg_per_device)
        interval = float(protocol.devices.minutes_between_devices)
        count = round(mg / per_spray)
        sprays = tuple(Dose(route, per_spray, i * interval) for i in range(count))
        description = (
            f"{_fmt(mg)} mg intranasal: {count} sprays of {_fmt(per_spray)} mg, "
            f"{_fmt(interval)} min apart"
        )
        return PlannedDoses(
            doses=sprays, total_mg=mg, amount=value, unit=unit, description=description
        )
    elif protocol.route is Route.IV_INFUSION:
        minutes = float(protocol.infusion_minutes or 0)
        dose = Dose(route, mg, 0.0, duration_min=minutes)
        description = f"{_fmt(mg)} mg IV over {_fmt(minutes)} min"
    else:
        dose = Dose(route, mg, 0.0)
        description = f"{_fmt(mg)} mg {_ROUTE_TEXT[protocol.route]}"
    if rule.basis is not DoseBasis.FIXED_MG:
        how = f"{_fmt(value, 3)} {unit}"
        if rule.basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR):
            how += f" x {_fmt(weight_kg)} kg"
        if rule.basis in (DoseBasis.MG_PER_KG_PER_HOUR, DoseBasis.MG_PER_HOUR):
            how += f" x {_fmt((protocol.infusion_minutes or 0) / 60, 2)} h"
        description += f" ({how})"
    return PlannedDoses(
        doses=(dose,),
        total_mg=mg,
        amount=value,
        unit=unit,
        description=description,
        notes=tuple(notes),
    )


def model_for(protocol: Protocol) -> str:
    """The model the curve and the band use: Perez-Ruixo 2021 for esketamine, else Kamp 2020."""
    return ESKETAMINE_MODEL if protocol.drug is Drug.ESKETAMINE else RACEMIC_MODEL


def spread_models_for(protocol: Protocol) -> tuple[str, ...]:
    """Models compared for the spread: the racemic IV models for racemic IV protocols only."""
    if protocol.drug is Drug.RACEMIC_KETAMINE and protocol.route in (
        Route.IV_INFUSION,
        Route.IV_BOLUS,
    ):
        return RACEMIC_IV_MODELS
    return ()


def time_grid(protocol: Protocol) -> FloatArray:
    """0 to (end of dosing or observation + 2 h, whole hours, 3-8 h), every 2 min."""
    return curve_times(max(protocol.min_observation_minutes, protocol.infusion_minutes or 0))


def population_grid(times: FloatArray, protocol: Protocol) -> FloatArray:
    """The virtual patients' times: dense for the first hour, then every 10 min, plus the end of
    the protocol's infusion (see :func:`~ketaclinic.pharmacology.presentation.band_times_for`)."""
    return band_times_for(times, protocol.infusion_minutes)


@dataclass(frozen=True)
class ExposureView(ExposurePrediction):
    """What the exposure page shows for one session of ``protocol``."""

    protocol: Protocol = field(kw_only=True)

    @property
    def is_esketamine(self) -> bool:
        return self.protocol.drug is Drug.ESKETAMINE


def build_exposure(
    protocol: Protocol,
    weight_kg: float,
    *,
    age_years: float | None = None,
    amount: Decimal | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS_NG_ML,
    n: int = POPULATION_N,
    seed: int = POPULATION_SEED,
) -> ExposureView:
    """Everything the exposure page shows for one session of ``protocol`` at ``weight_kg``."""
    check_weight(weight_kg)
    plan = doses_for_protocol(protocol, weight_kg, amount)
    times = time_grid(protocol)
    prediction = predict_exposure(
        plan,
        weight_kg,
        model_id=model_for(protocol),
        spread_model_ids=spread_models_for(protocol),
        times=times,
        band_times=population_grid(times, protocol),
        esketamine=protocol.drug is Drug.ESKETAMINE,
        age_years=age_years,
        levels=levels,
        n=n,
        seed=seed,
    )
    values = {f.name: getattr(prediction, f.name) for f in fields(prediction)}
    if protocol.route is Route.SUBCUTANEOUS:
        values["assumptions"] = (SUBCUTANEOUS_ASSUMPTION, *prediction.assumptions)
    return ExposureView(protocol=protocol, **values)
