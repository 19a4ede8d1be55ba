"""What the exposure pages show, computed from planned doses and a weight (pure: no Django).

A caller turns its own dosing plan into :class:`PlannedDoses` (engine :class:`Dose` objects and
how they were worked out; treatment does this for a protocol in
:mod:`ketaclinic.treatment.domain.exposure`) and chooses the model and the time grid;
:func:`predict_exposure` then runs the typical-patient curve, a virtual population's 5-50-95 %
band (fixed ``n`` and seed, so a page always shows the same band for the same input), the spread
across other models, the Cmax / Tmax / time-above table and the chart geometry
(:mod:`ketaclinic.pharmacology.chart`).

Nothing is cached: every request computes its own result, so no patient's numbers can reach
another request. Output is decision support for clinicians, never a dosing order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from ketaclinic.pharmacology.chart import Chart, build_chart
from ketaclinic.pharmacology.engine import (
    PopulationWarning,
    exposure,
    get_model,
    population_warnings,
    simulate,
    simulate_population,
)
from ketaclinic.pharmacology.reference import (
    ESKETAMINE_REFERENCE_NOTE,
    RACEMIC_REFERENCE_NOTE,
    REFERENCE_BANDS,
    ReferenceBand,
)
from ketaclinic.pharmacology.structures import Dose, FloatArray, ModelSpec

__all__ = [
    "DECISION_SUPPORT",
    "DEFAULT_LEVELS_NG_ML",
    "ESKETAMINE_MODEL",
    "POPULATION_N",
    "POPULATION_SEED",
    "RACEMIC_IV_MODELS",
    "RACEMIC_MODEL",
    "REFERENCE_BANDS",
    "WEIGHT_MAX_KG",
    "WEIGHT_MIN_KG",
    "Chart",
    "Curve",
    "ExposurePrediction",
    "ExposureRow",
    "ModelWarning",
    "PlannedDoses",
    "PopulationRow",
    "ReferenceBand",
    "TableRow",
    "band_times_for",
    "build_chart",
    "check_weight",
    "curve_times",
    "parse_levels",
    "percentile_band",
    "predict_exposure",
    "time_above_on_grid",
]

DECISION_SUPPORT = (
    "Decision support for clinicians, not a dosing order: predicted plasma concentrations from "
    "published population models. The prescriber decides every dose."
)

WEIGHT_MIN_KG = 20.0
WEIGHT_MAX_KG = 250.0
"""The engine's weight range (a patient record may hold up to 400 kg; the models do not)."""

POPULATION_N = 500
POPULATION_SEED = 20_240_505
"""Fixed: the band of a page is reproducible. 500 keeps the esketamine page near 0.2 s (its
nasal and swallowed depots cost ~0.35 ms per subject in the engine; racemic IV ~0.01 ms)."""

CURVE_STEP_MIN = 2.0
TABLE_STEP_MIN = 10.0
DENSE_UNTIL_MIN = 60.0
RACEMIC_MODEL = "kamp2020"
ESKETAMINE_MODEL = "perez_ruixo2021"
RACEMIC_IV_MODELS = ("kamp2020", "domino1982", "clements1981", "hijazi2003")
DEFAULT_LEVELS_NG_ML = (70.0, 100.0, 250.0)
MAX_LEVELS = 5
LEVEL_RANGE_NG_ML = (1.0, 5000.0)


def check_weight(weight_kg: float) -> None:
    """ValueError unless ``weight_kg`` is in the range the exposure models accept."""
    if not WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG:
        raise ValueError(
            f"weight must be between {WEIGHT_MIN_KG:g} and {WEIGHT_MAX_KG:g} kg, got {weight_kg:g}"
        )


# ---------------------------------------------------------------------------------------------
# Time grids and levels
# ---------------------------------------------------------------------------------------------


def curve_times(busy_min: float) -> FloatArray:
    """0 to (``busy_min`` of dosing or observation + 2 h, whole hours, 3-8 h), every 2 min."""
    end = min(480.0, max(180.0, 60.0 * math.ceil((busy_min + 120) / 60)))
    return np.arange(0.0, end + CURVE_STEP_MIN / 2, CURVE_STEP_MIN)


def band_times_for(times: FloatArray, infusion_min: float | None) -> FloatArray:
    """The virtual patients' times: every curve time for the first hour (where the peaks are),
    then every 10 min, plus the end of an infusion (a kink). About half the points of the curve,
    which halves the cost of the band (the esketamine depots dominate a page's time)."""
    keep = (times <= DENSE_UNTIL_MIN) | np.isclose(np.mod(times, TABLE_STEP_MIN), 0.0)
    if infusion_min:
        keep |= np.isclose(times, float(infusion_min))
    keep[-1] = True
    result: FloatArray = times[keep]
    return result


def parse_levels(text: str) -> tuple[float, ...]:
    """'70, 100 250' -> (70.0, 100.0, 250.0); ValueError with a readable message."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        return DEFAULT_LEVELS_NG_ML
    if len(parts) > MAX_LEVELS:
        raise ValueError(f"Enter at most {MAX_LEVELS} levels.")
    low, high = LEVEL_RANGE_NG_ML
    levels: list[float] = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a number of ng/mL.") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"Levels must be between {low:g} and {high:g} ng/mL.")
        levels.append(value)
    return tuple(sorted(set(levels)))


# ---------------------------------------------------------------------------------------------
# Doses planned by the caller
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDoses:
    """The engine doses for one session, and how they were worked out (shown on the page)."""

    doses: tuple[Dose, ...]
    total_mg: float
    amount: Decimal
    unit: str
    description: str
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def percentile_band(samples: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """5th, 50th and 95th percentiles over subjects (axis 0) of an (n, T) array."""
    p5, p50, p95 = np.percentile(samples, [5.0, 50.0, 95.0], axis=0)
    return p5, p50, p95


def time_above_on_grid(times: FloatArray, values: FloatArray, level: float) -> FloatArray:
    """Minutes above ``level`` per row of ``values`` (..., T), crossings linearly interpolated."""
    v = np.atleast_2d(values)
    a, b = v[:, :-1], v[:, 1:]
    dt = np.diff(times)[None, :]
    above_a, above_b = a > level, b > level
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(b != a, (level - a) / (b - a), 0.0)
    part = np.where(
        above_a & above_b,
        dt,
        np.where(above_a & ~above_b, frac * dt, np.where(~above_a & above_b, (1 - frac) * dt, 0)),
    )
    result: FloatArray = part.sum(axis=1)
    return result


@dataclass(frozen=True)
class Curve:
    model_id: str
    label: str
    values: FloatArray


@dataclass(frozen=True)
class ExposureRow:
    """Typical-patient exposure of one model (exact: engine.exposure)."""

    label: str
    model_id: str
    cmax_ng_ml: float
    tmax_min: float
    auc_ng_h_ml: float
    above_min: tuple[float, ...]
    main: bool


@dataclass(frozen=True)
class PopulationRow:
    """Median and 5th-95th percentiles over the virtual population (on `population_grid`)."""

    cmax: tuple[float, float, float]
    tmax: tuple[float, float, float]
    above: tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class TableRow:
    time_min: float
    typical: float
    p5: float
    p50: float
    p95: float
    spread: tuple[float, ...]


@dataclass(frozen=True)
class ModelWarning:
    model_id: str
    message: str


# ---------------------------------------------------------------------------------------------
# The prediction shown on a page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExposurePrediction:
    """Everything an exposure page shows about one session's doses at one weight."""

    weight_kg: float
    age_years: float | None
    plan: PlannedDoses
    model: ModelSpec
    times: FloatArray
    band_times: FloatArray
    typical: Curve
    p5: FloatArray
    p50: FloatArray
    p95: FloatArray
    population_n: int
    population_seed: int
    spread: tuple[Curve, ...]
    levels: tuple[float, ...]
    rows: tuple[ExposureRow, ...]
    population_row: PopulationRow
    table: tuple[TableRow, ...]
    chart: Chart
    warnings: tuple[ModelWarning, ...]
    assumptions: tuple[str, ...]
    reference_bands: tuple[ReferenceBand, ...]
    reference_note: str
    decision_support: str = DECISION_SUPPORT

    @property
    def t_end_min(self) -> float:
        return float(self.times[-1])


def _model_label(spec: ModelSpec) -> str:
    return spec.title.split(",")[0]


def _assumptions(spec: ModelSpec, plan: PlannedDoses) -> list[str]:
    found: list[str] = []
    if spec.id == RACEMIC_MODEL:
        found.append(
            "Kamp 2020 publishes no between-patient variability: the band borrows Herd & "
            "Anderson 2007's (V1 64 %, V2/V3 51.7 %, CL 38.1 %, Q 19 %), so it is illustrative."
        )
    routes = {d.route for d in plan.doses}
    for route in sorted(routes & {"im", "oral", "intranasal"}):
        for name in (f"f_{route}", f"ka_{route}"):
            param = spec.param(name)
            found.append(
                f"{param.description}: {param.value:g} {param.unit} (assumption; {param.source})."
            )
    return found


def _typical_exposure(
    model_id: str,
    weight_kg: float,
    doses: Sequence[Dose],
    t_end: float,
    *,
    levels: Sequence[float],
    age_years: float | None,
    main: bool,
) -> ExposureRow:
    spec = get_model(model_id)
    above: list[float] = []
    first = None
    for level in levels or (None,):
        result = exposure(model_id, weight_kg, doses, t_end, level, age_years=age_years)
        first = first or result
        if level is not None:
            above.append(result.time_above_threshold_min or 0.0)
    assert first is not None  # noqa: S101 - the loop runs at least once
    return ExposureRow(
        label=_model_label(spec),
        model_id=model_id,
        cmax_ng_ml=first.cmax_ng_ml,
        tmax_min=first.tmax_min,
        auc_ng_h_ml=first.auc_0_t_ng_h_ml,
        above_min=tuple(above),
        main=main,
    )


def _triple(values: FloatArray) -> tuple[float, float, float]:
    p5, p50, p95 = np.percentile(values, [5.0, 50.0, 95.0])
    return float(p50), float(p5), float(p95)


def predict_exposure(
    plan: PlannedDoses,
    weight_kg: float,
    *,
    model_id: str,
    spread_model_ids: Sequence[str],
    times: FloatArray,
    band_times: FloatArray,
    esketamine: bool,
    age_years: float | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS_NG_ML,
    n: int = POPULATION_N,
    seed: int = POPULATION_SEED,
) -> ExposurePrediction:
    """Everything an exposure page shows for ``plan`` at ``weight_kg``.

    ``model_id`` gives the typical curve and the population band; ``spread_model_ids`` (other
    than ``model_id``) are drawn beside it. ``times`` is the curve's grid (see
    :func:`curve_times`), ``band_times`` the population's (see :func:`band_times_for`).
    ``esketamine`` chooses the note that the reference ranges were measured with racemic
    ketamine.
    """
    check_weight(weight_kg)
    spec = get_model(model_id)
    t_end = float(times[-1])
    levels = tuple(levels)
    with warnings.catch_warnings():
        # Population mismatches are collected below and shown on the page, not emitted.
        warnings.simplefilter("ignore", PopulationWarning)
        typical = simulate(model_id, weight_kg, plan.doses, times, age_years=age_years)
        samples = simulate_population(
            model_id, weight_kg, plan.doses, band_times, n, seed, age_years=age_years
        )
        spread_ids = [m for m in spread_model_ids if m != model_id]
        spread = tuple(
            Curve(
                m,
                _model_label(get_model(m)),
                simulate(m, weight_kg, plan.doses, times, age_years=age_years),
            )
            for m in spread_ids
        )
        rows = [
            _typical_exposure(
                model_id,
                weight_kg,
                plan.doses,
                t_end,
                levels=levels,
                age_years=age_years,
                main=True,
            ),
            *(
                _typical_exposure(
                    m, weight_kg, plan.doses, t_end, levels=levels, age_years=age_years, main=False
                )
                for m in spread_ids
            ),
        ]
    p5, p50, p95 = percentile_band(samples)
    peak_index = np.argmax(samples, axis=1)
    population_row = PopulationRow(
        cmax=_triple(np.max(samples, axis=1)),
        tmax=_triple(band_times[peak_index]),
        above=tuple(_triple(time_above_on_grid(band_times, samples, level)) for level in levels),
    )
    model_warnings = [
        ModelWarning(model_id, message)
        for message in population_warnings(model_id, weight_kg, age_years)
    ]
    for m in spread_ids:
        model_warnings.extend(
            ModelWarning(m, msg) for msg in population_warnings(m, weight_kg, age_years)
        )
    table_times = times[np.isclose(np.mod(times, TABLE_STEP_MIN), 0.0)]
    at_curve = np.searchsorted(times, table_times)
    at_band = np.searchsorted(band_times, table_times)
    table = tuple(
        TableRow(
            time_min=float(times[i]),
            typical=float(typical[i]),
            p5=float(p5[j]),
            p50=float(p50[j]),
            p95=float(p95[j]),
            spread=tuple(float(c.values[i]) for c in spread),
        )
        for i, j in zip(at_curve, at_band, strict=True)
    )
    main_label = f"Typical patient ({_model_label(spec)})"
    chart = build_chart(
        times,
        band=(p5, p95),
        band_times=band_times,
        lines=[
            ("typical", main_label, times, typical),
            ("median", "Population median", band_times, p50),
            *((c.model_id, c.label, times, c.values) for c in spread),
        ],
    )
    return ExposurePrediction(
        weight_kg=weight_kg,
        age_years=age_years,
        plan=plan,
        model=spec,
        times=times,
        band_times=band_times,
        typical=Curve(model_id, main_label, typical),
        p5=p5,
        p50=p50,
        p95=p95,
        population_n=n,
        population_seed=seed,
        spread=spread,
        levels=levels,
        rows=tuple(rows),
        population_row=population_row,
        table=table,
        chart=chart,
        warnings=tuple(model_warnings),
        assumptions=tuple(_assumptions(spec, plan)),
        reference_bands=REFERENCE_BANDS,
        reference_note=ESKETAMINE_REFERENCE_NOTE if esketamine else RACEMIC_REFERENCE_NOTE,
    )
