"""Exact exposure simulation for linear (compartmental) ketamine and esketamine models: the public
API (models, validation, typical and population curves, exposure metrics); the solution itself is
in :mod:`ketaclinic.pharmacology.solution` (eigen-decomposition and closed-form inputs, no ODE).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq, minimize_scalar

from ketaclinic.pharmacology.parameters import MODELS
from ketaclinic.pharmacology.solution import solve
from ketaclinic.pharmacology.structures import (
    UNIT_FACTORS,
    Disposition,
    Dose,
    FloatArray,
    Iiv,
    ModelSpec,
    Param,
)

WEIGHT_RANGE_KG = (20.0, 250.0)
DEFAULT_CHUNK_BYTES = 48 * 1024 * 1024
"""Working-memory budget per chunk of subjects in simulate_population (about 6 arrays of this)."""

ModelArg = str | ModelSpec
OptionsArg = Mapping[str, float | str] | None


class PopulationWarning(UserWarning):
    """The simulated patient lies outside the population the model was estimated in."""


# ---------------------------------------------------------------------------------------------
# Models, options, validation
# ---------------------------------------------------------------------------------------------


def list_models() -> list[ModelSpec]:
    """All models, in the order of the shared reference."""
    return list(MODELS.values())


def get_model(model: ModelArg) -> ModelSpec:
    """The model with this id (or the spec itself); ValueError listing the ids if unknown."""
    if isinstance(model, ModelSpec):
        return model
    try:
        return MODELS[model]
    except KeyError:
        raise ValueError(f"unknown model {model!r}; allowed models: {', '.join(MODELS)}") from None


def _resolve_options(spec: ModelSpec, options: OptionsArg) -> dict[str, float | str]:
    """Model switches plus overrides: a parameter name (published units) or iiv_<name>.

    iiv_<name> is the CV (fraction) of a log-normal parameter, or the logit-scale SD of a
    logit-normal one; 0 removes the variability.
    """
    resolved: dict[str, float | str] = {k: o.default for k, o in spec.options.items()}
    names = [p.name for p in spec.params]
    for key, value in (options or {}).items():
        if key in spec.options:
            choices = spec.options[key].choices
            if choices and value not in choices:
                raise ValueError(
                    f"option {key}={value!r} for model {spec.id}; allowed values: "
                    f"{', '.join(choices)}"
                )
            if not choices and not isinstance(value, int | float):
                raise ValueError(f"option {key} for model {spec.id} must be a number")
            resolved[key] = value
            continue
        target = key.removeprefix("iiv_")
        if target in names:
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"option {key} for model {spec.id} must be a number >= 0")
            if key == target and value == 0:
                raise ValueError(f"option {key} for model {spec.id} must be > 0")
            resolved[key] = float(value)
            continue
        allowed = [*spec.options, *names, *(f"iiv_{n}" for n in names)]
        raise ValueError(
            f"unknown option {key!r} for model {spec.id}; allowed options: {', '.join(allowed)}"
        )
    return resolved


def _check_weight(weight_kg: float) -> float:
    low, high = WEIGHT_RANGE_KG
    if (
        not isinstance(weight_kg, int | float)
        or not math.isfinite(weight_kg)
        or not low <= weight_kg <= high
    ):
        raise ValueError(f"weight must be between {low:g} and {high:g} kg, got {weight_kg!r}")
    return float(weight_kg)


def _check_times(times_min: npt.ArrayLike) -> FloatArray:
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1 or times.size == 0:
        raise ValueError("times must be a non-empty one-dimensional sequence of minutes")
    if not np.all(np.isfinite(times)) or times[0] < 0:
        raise ValueError("times must be finite and >= 0 min")
    if np.any(np.diff(times) <= 0):
        bad = int(np.argmax(np.diff(times) <= 0))
        raise ValueError(
            f"times must be strictly increasing; times[{bad}]={times[bad]:g} is followed by "
            f"{times[bad + 1]:g}"
        )
    return times


def _check_doses(spec: ModelSpec, doses: Dose | Sequence[Dose]) -> tuple[Dose, ...]:
    dose_list = (doses,) if isinstance(doses, Dose) else tuple(doses)
    if not dose_list:
        raise ValueError("at least one dose is needed")
    for dose in dose_list:
        if not isinstance(dose, Dose):
            raise ValueError(f"doses must be Dose objects, got {type(dose).__name__}")
        if dose.route not in spec.routes:
            raise ValueError(
                f"model {spec.id} cannot take route {dose.route!r}; its routes: "
                f"{', '.join(spec.routes)}"
            )
    return dose_list


def population_warnings(
    model: ModelArg, weight_kg: float, age_years: float | None = None
) -> list[str]:
    """Reasons why this patient is outside the model's source population (empty if none)."""
    spec = get_model(model)
    pop = spec.population
    found: list[str] = []
    if pop.always_warn:
        found.append(pop.always_warn)
    if pop.weight_range_kg is not None:
        low, high = pop.weight_range_kg
        if not low <= weight_kg <= high:
            note = f" ({pop.weight_range_note})" if pop.weight_range_note else ""
            found.append(
                f"{weight_kg:g} kg is outside the {low:g}-{high:g} kg of {spec.id}'s source "
                f"population, {pop.description}{note}"
            )
    if age_years is not None and pop.age_range_years is not None:
        low, high = pop.age_range_years
        if not low <= age_years <= high:
            found.append(
                f"age {age_years:g} years is outside {spec.id}'s source population, "
                f"{pop.description}"
            )
    return found


def _emit_population_warnings(spec: ModelSpec, weight_kg: float, age: float | None) -> list[str]:
    found = population_warnings(spec, weight_kg, age)
    for message in found:
        warnings.warn(message, PopulationWarning, stacklevel=3)
    return found


# ---------------------------------------------------------------------------------------------
# Parameters: typical values and inter-individual variability
# ---------------------------------------------------------------------------------------------


def _effective_iiv(param: Param, resolved: Mapping[str, float | str]) -> Iiv | None:
    key = f"iiv_{param.name}"
    if key not in resolved:
        return param.iiv
    spread = float(resolved[key])
    if spread == 0:
        return None
    if param.iiv is not None and param.iiv.transform == "logit":
        return Iiv("logit", sd=spread, source="option")
    return Iiv("log", cv=spread, source="option")


def _typical(param: Param, resolved: Mapping[str, float | str]) -> float:
    if param.name in resolved:
        return float(resolved[param.name]) * UNIT_FACTORS[param.unit]
    return param.engine_value


def _values(
    spec: ModelSpec,
    resolved: Mapping[str, float | str],
    n: int,
    rng: np.random.Generator | None,
) -> dict[str, FloatArray]:
    """Per-subject parameter arrays (n,), in engine units; typical values when rng is None."""
    varying = [(p, iiv) for p in spec.params if (iiv := _effective_iiv(p, resolved)) is not None]
    eta = rng.standard_normal((n, len(varying))) if rng is not None and varying else None
    values = {p.name: np.full(n, _typical(p, resolved)) for p in spec.params}
    if eta is None:
        return values
    for k, (p, iiv) in enumerate(varying):
        typical = _typical(p, resolved)
        if iiv.transform == "log":
            values[p.name] = typical * np.exp(iiv.omega * eta[:, k])
        else:
            logit = math.log(typical / (1.0 - typical))
            values[p.name] = 1.0 / (1.0 + np.exp(-(logit + iiv.omega * eta[:, k])))
    return values


def parameter_values(
    model: ModelArg,
    n: int = 1,
    rng: np.random.Generator | None = None,
    *,
    options: OptionsArg = None,
) -> dict[str, FloatArray]:
    """Per-subject parameters (n,) in engine units (L, L/min, 1/min, min); typical if rng is None."""
    spec = get_model(model)
    return _values(spec, _resolve_options(spec, options), n, rng)


def typical_disposition(
    model: ModelArg,
    weight_kg: float,
    *,
    age_years: float | None = None,
    options: OptionsArg = None,
) -> Disposition:
    """Volumes, flows and clearance of the typical patient (batch of one), engine units."""
    spec = get_model(model)
    resolved = _resolve_options(spec, options)
    values = _values(spec, resolved, 1, None)
    return spec.build(values, _check_weight(weight_kg), resolved, age_years)


def _requires_iiv(spec: ModelSpec, resolved: Mapping[str, float | str]) -> None:
    if not any(_effective_iiv(p, resolved) is not None for p in spec.params):
        raise ValueError(
            f"model {spec.id} has no published inter-individual variability; pass "
            f"options={{'iiv_<parameter>': cv}} to assume some"
        )


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def simulate(
    model: ModelArg,
    weight_kg: float,
    doses: Dose | Sequence[Dose],
    times_min: npt.ArrayLike,
    *,
    age_years: float | None = None,
    options: OptionsArg = None,
) -> FloatArray:
    """Typical-patient plasma concentration of the parent drug (ng/mL) at each time (min).

    Exact (eigen-decomposition and closed-form inputs, superposed). Emits PopulationWarning when the
    patient lies outside the model's source population.
    """
    spec = get_model(model)
    weight = _check_weight(weight_kg)
    times = _check_times(times_min)
    dose_list = _check_doses(spec, doses)
    resolved = _resolve_options(spec, options)
    _emit_population_warnings(spec, weight, age_years)
    values = _values(spec, resolved, 1, None)
    solution = solve(
        spec,
        weight_kg=weight,
        doses=dose_list,
        values=values,
        resolved=resolved,
        age_years=age_years,
    )
    result: FloatArray = solution.concentration(times)[0]
    return result


def default_chunk_size(n_times: int, n_compartments: int = 4) -> int:
    """Subjects per chunk so one (chunk, T, n) float64 array stays within the budget."""
    per_subject = max(1, n_times * n_compartments * 8)
    return max(1, DEFAULT_CHUNK_BYTES // 6 // per_subject)


def iter_population(  # noqa: PLR0917 - same positional signature as simulate_population
    model: ModelArg,
    weight_kg: float,
    doses: Dose | Sequence[Dose],
    times_min: npt.ArrayLike,
    n: int,
    seed: int,
    *,
    age_years: float | None = None,
    options: OptionsArg = None,
    chunk_size: int | None = None,
) -> Iterator[FloatArray]:
    """Yield (chunk, T) blocks of simulate_population in order, in bounded memory.

    Draws come from one generator in subject order, so the concatenation is the same for any
    chunk_size.
    """
    spec = get_model(model)
    weight = _check_weight(weight_kg)
    times = _check_times(times_min)
    dose_list = _check_doses(spec, doses)
    resolved = _resolve_options(spec, options)
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number of subjects, got {n!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
    _requires_iiv(spec, resolved)
    _emit_population_warnings(spec, weight, age_years)
    size = chunk_size or default_chunk_size(times.size)
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        count = min(size, n - done)
        values = _values(spec, resolved, count, rng)
        yield solve(
            spec,
            weight_kg=weight,
            doses=dose_list,
            values=values,
            resolved=resolved,
            age_years=age_years,
        ).concentration(times)
        done += count


def simulate_population(  # noqa: PLR0917 - positional signature fixed by issue 5
    model: ModelArg,
    weight_kg: float,
    doses: Dose | Sequence[Dose],
    times_min: npt.ArrayLike,
    n: int,
    seed: int,
    *,
    age_years: float | None = None,
    options: OptionsArg = None,
    chunk_size: int | None = None,
) -> FloatArray:
    """(n, T) concentrations (ng/mL) of n virtual patients drawn with the model's variability.

    Reproducible for a seed, independent of chunk_size; working memory beyond the (n, T) result is
    bounded by the chunk size. Use iter_population to avoid holding the result at all.
    """
    times = _check_times(times_min)
    out = np.empty((n, times.size)) if isinstance(n, int) and n > 0 else np.empty((0, 0))
    row = 0
    for block in iter_population(
        model,
        weight_kg,
        doses,
        times,
        n,
        seed,
        age_years=age_years,
        options=options,
        chunk_size=chunk_size,
    ):
        out[row : row + block.shape[0]] = block
        row += block.shape[0]
    return out


@dataclass(frozen=True)
class Exposure:
    """Exposure summary of one typical patient over [0, t_end_min]."""

    cmax_ng_ml: float
    tmax_min: float
    auc_0_t_ng_h_ml: float
    auc_0_inf_ng_h_ml: float  # always defined: every model here eliminates the drug
    t_end_min: float
    threshold_ng_ml: float | None
    time_above_threshold_min: float | None
    warnings: tuple[str, ...]


GRID_STEP_MIN = 0.25


def exposure(
    model: ModelArg,
    weight_kg: float,
    doses: Dose | Sequence[Dose],
    t_end_min: float,
    threshold_ng_ml: float | None = None,
    *,
    age_years: float | None = None,
    options: OptionsArg = None,
) -> Exposure:
    """Cmax, Tmax, AUC0-t and AUC0-inf (exact), and time above a threshold (Brent at crossings).

    Cmax is found on a 0.25 min grid with every dose start and infusion end added, then refined by
    bounded scalar optimisation on the closed form. Crossings of the threshold are located by
    Brent's method; an excursion shorter than the grid step between two grid points can be missed.
    AUC0-inf is defined for every model here (all eliminate; it counts every dose, including those
    after t_end).
    """
    spec = get_model(model)
    weight = _check_weight(weight_kg)
    dose_list = _check_doses(spec, doses)
    if not isinstance(t_end_min, int | float) or not math.isfinite(t_end_min) or t_end_min <= 0:
        raise ValueError(f"t_end_min must be a positive number of minutes, got {t_end_min!r}")
    if threshold_ng_ml is not None and (
        not isinstance(threshold_ng_ml, int | float)
        or not math.isfinite(threshold_ng_ml)
        or threshold_ng_ml <= 0
    ):
        raise ValueError(f"threshold must be a positive ng/mL, got {threshold_ng_ml!r}")
    resolved = _resolve_options(spec, options)
    found = _emit_population_warnings(spec, weight, age_years)
    values = _values(spec, resolved, 1, None)
    solution = solve(
        spec,
        weight_kg=weight,
        doses=dose_list,
        values=values,
        resolved=resolved,
        age_years=age_years,
    )

    def conc(t: float) -> float:
        return float(solution.concentration(np.array([t]))[0, 0])

    steps = max(2, math.ceil(t_end_min / GRID_STEP_MIN) + 1)
    extra = [p for p in solution.breakpoints() if 0 <= p <= t_end_min]
    grid = np.unique(np.concatenate([np.linspace(0.0, t_end_min, steps), extra]))
    values_on_grid = solution.concentration(grid)[0]
    k = int(np.argmax(values_on_grid))
    cmax, tmax = float(values_on_grid[k]), float(grid[k])
    if 0 < k < grid.size - 1:
        best = minimize_scalar(
            lambda t: -conc(t),
            bounds=(float(grid[k - 1]), float(grid[k + 1])),
            method="bounded",
            options={"xatol": 1e-9},
        )
        if -best.fun > cmax:
            cmax, tmax = float(-best.fun), float(best.x)

    above: float | None = None
    if threshold_ng_ml is not None:
        above = _time_above(conc, grid, values_on_grid, float(threshold_ng_ml))

    auc_t = float(solution.auc(np.array([float(t_end_min)]))[0, 0]) / 60.0
    auc_inf = float(solution.auc_inf()[0]) / 60.0
    return Exposure(
        cmax_ng_ml=cmax,
        tmax_min=tmax,
        auc_0_t_ng_h_ml=auc_t,
        auc_0_inf_ng_h_ml=auc_inf,
        t_end_min=float(t_end_min),
        threshold_ng_ml=threshold_ng_ml,
        time_above_threshold_min=above,
        warnings=tuple(found),
    )


def _time_above(
    conc: Callable[[float], float], grid: FloatArray, values: FloatArray, threshold: float
) -> float:
    """Total time with conc > threshold on [grid[0], grid[-1]]; crossings by Brent's method."""
    diff = values - threshold
    total = 0.0
    start: float | None = float(grid[0]) if diff[0] > 0 else None
    for i in range(1, grid.size):
        before, after = float(diff[i - 1]), float(diff[i])
        if (before > 0) == (after > 0):
            continue
        lo, hi = float(grid[i - 1]), float(grid[i])
        if before * after < 0:
            crossing = float(brentq(lambda t: conc(t) - threshold, lo, hi, xtol=1e-10))
        else:  # one end sits exactly on the threshold
            crossing = hi if after == 0 else lo
        if after > 0:
            start = crossing
        elif start is not None:
            total += crossing - start
            start = None
    if start is not None:
        total += float(grid[-1]) - start
    return total
