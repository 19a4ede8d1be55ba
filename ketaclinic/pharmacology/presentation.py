"""What the exposure pages show, computed from a protocol and a weight (pure: no Django import).

A treatment :class:`~ketaclinic.treatment.domain.protocol.Protocol` and a weight become engine
:class:`~ketaclinic.pharmacology.Dose` objects (:func:`doses_for_protocol`); :func:`build_exposure`
then runs the typical-patient curve, a virtual population's 5-50-95 % band (fixed ``n`` and seed,
so a page always shows the same band for the same input), the spread across the racemic IV
models, the Cmax / Tmax / time-above table and the chart geometry (:func:`build_chart`: plain
numbers and SVG path strings, drawn by the template with presentation attributes only).

Nothing is cached: every request computes its own result, so no patient's numbers can reach
another request. Output is decision support for clinicians, never a dosing order.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from ketaclinic.pharmacology.engine import (
    PopulationWarning,
    exposure,
    get_model,
    population_warnings,
    simulate,
    simulate_population,
)
from ketaclinic.pharmacology.structures import Dose, FloatArray, ModelSpec
from ketaclinic.treatment.domain.dosing import dose_mg_from_rule, max_dose_mg
from ketaclinic.treatment.domain.protocol import DoseBasis, Drug, Protocol, Route

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
    "ExposureRow",
    "ExposureView",
    "PlannedDoses",
    "PopulationRow",
    "ReferenceBand",
    "TableRow",
    "amount_problem",
    "build_chart",
    "build_exposure",
    "doses_for_protocol",
    "parse_levels",
    "percentile_band",
    "spread_models_for",
    "time_above_on_grid",
    "time_grid",
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

_ENGINE_ROUTE = {
    Route.IV_INFUSION: "iv",
    Route.IV_BOLUS: "iv",
    Route.IM: "im",
    Route.ORAL: "oral",
    Route.INTRANASAL_RACEMIC: "intranasal",
    Route.ESKETAMINE_NASAL: "esketamine_nasal",
}
_ROUTE_TEXT = {
    Route.IV_INFUSION: "IV infusion",
    Route.IV_BOLUS: "IV bolus",
    Route.IM: "IM injection",
    Route.ORAL: "oral",
    Route.INTRANASAL_RACEMIC: "intranasal",
    Route.ESKETAMINE_NASAL: "nasal spray",
}


# ---------------------------------------------------------------------------------------------
# Literature reference ranges (shared reference, pharmacokinetics.md section 6)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceBand:
    """A plasma concentration range reported in the literature, with its sources."""

    key: str
    label: str
    low_ng_ml: float
    high_ng_ml: float
    detail: str
    sources: tuple[str, ...]


REFERENCE_BANDS: tuple[ReferenceBand, ...] = (
    ReferenceBand(
        key="analgesia",
        label="Analgesia",
        low_ng_ml=70.0,
        high_ng_ml=160.0,
        detail="70-160 ng/mL; also reported as > 100 ng/mL",
        sources=(
            "Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",
            "Herd & Anderson, Paediatr Anaesth 2007;17:622-9",
            "Hornik et al., J Clin Pharmacol 2018",
        ),
    ),
    ReferenceBand(
        key="dissociation",
        label="Dissociation",
        low_ng_ml=100.0,
        high_ng_ml=250.0,
        detail="100-250 ng/mL after 0.5 mg/kg over 40 min (Krystal 1994)",
        sources=("Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",),
    ),
    ReferenceBand(
        key="anaesthesia",
        label="Anaesthesia",
        low_ng_ml=1200.0,
        high_ng_ml=2400.0,
        detail="1200-2400 ng/mL after 1-2 mg/kg IV; awakening at about 640 ng/mL",
        sources=(
            "Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",
            "Idvall et al., Br J Anaesth 1979;51:1167",
        ),
    ),
)

RACEMIC_REFERENCE_NOTE = (
    "Ranges are plasma racemic ketamine. For comparison, 0.5 mg/kg over 40 min gave a mean "
    "peak of 185 ng/mL in the antidepressant trial of Zarate 2006 (Zanos 2018, Table 1)."
)
ESKETAMINE_REFERENCE_NOTE = (
    "These ranges were measured with racemic ketamine; the curve is esketamine alone. The "
    "esketamine maker states there is no routine plasma monitoring and no established "
    "concentration-efficacy relationship (J&J Medical Information, 'Measurement of Plasma "
    "Levels of SPRAVATO', 2024-12-27)."
)


# ---------------------------------------------------------------------------------------------
# Protocol + weight -> doses
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDoses:
    """The engine doses for one session of a protocol, and how they were worked out."""

    doses: tuple[Dose, ...]
    total_mg: float
    amount: Decimal
    unit: str
    description: str
    notes: tuple[str, ...] = ()


def _fmt(value: float | Decimal, digits: int = 1) -> str:
    text = f"{float(value):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


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
            f"The protocol's absolute cap is {_fmt(rule.cap, 3)} {_basis_unit(rule.basis)}; "
            f"enter at most that."
        )
    return None


def _basis_unit(basis: DoseBasis) -> str:
    return {
        DoseBasis.MG_PER_KG: "mg/kg",
        DoseBasis.FIXED_MG: "mg",
        DoseBasis.MG_PER_KG_PER_HOUR: "mg/kg/h",
        DoseBasis.MG_PER_HOUR: "mg/h",
    }[basis]


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
    unit = _basis_unit(rule.basis)
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
    busy = max(protocol.min_observation_minutes, protocol.infusion_minutes or 0)
    end = min(480.0, max(180.0, 60.0 * math.ceil((busy + 120) / 60)))
    return np.arange(0.0, end + CURVE_STEP_MIN / 2, CURVE_STEP_MIN)


def population_grid(times: FloatArray, protocol: Protocol) -> FloatArray:
    """The virtual patients' times: every curve time for the first hour (where the peaks are),
    then every 10 min, plus the end of an infusion (a kink). About half the points of the curve,
    which halves the cost of the band (the esketamine depots dominate a page's time)."""
    keep = (times <= DENSE_UNTIL_MIN) | np.isclose(np.mod(times, TABLE_STEP_MIN), 0.0)
    if protocol.infusion_minutes:
        keep |= np.isclose(times, float(protocol.infusion_minutes))
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


@dataclass(frozen=True)
class ChartLine:
    key: str
    label: str
    points: str
    color: str
    width: float
    dash: str


@dataclass(frozen=True)
class ChartBand:
    label: str
    range_text: str
    y: float
    height: float
    label_y: float
    color: str


@dataclass(frozen=True)
class Tick:
    value: float
    pos: float
    text: str


@dataclass(frozen=True)
class Chart:
    """SVG geometry in viewBox units; the template only places these numbers and strings."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    band_path: str
    lines: tuple[ChartLine, ...]
    ref_bands: tuple[ChartBand, ...]
    bands_above: tuple[ReferenceBand, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_max: float
    y_max: float

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top

    @property
    def x_label_y(self) -> int:
        return self.height - 8

    @property
    def y_label_x(self) -> int:
        return 16

    @property
    def y_label_mid(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def x_label_mid(self) -> float:
        return (self.left + self.right) / 2


_SPREAD_COLORS = {
    "domino1982": ("#8a5a00", "6 3"),
    "clements1981": ("#6b3fa0", "2 3"),
    "hijazi2003": ("#a4262c", "8 3 2 3"),
}
LABEL_GAP = 28  # two lines of 11-unit text per reference-band label
_BAND_COLORS = {"analgesia": "#1e6b3a", "dissociation": "#8a5a00", "anaesthesia": "#a4262c"}


def _nice_ceiling(value: float) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value - 1e-12:
            return candidate
    return 10.0 ** (exponent + 1)


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / target
    exponent = math.floor(math.log10(raw))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * 10.0**exponent >= raw - 1e-12:
            return step * 10.0**exponent
    return 10.0 ** (exponent + 1)


def build_chart(
    times: FloatArray,
    *,
    band: tuple[FloatArray, FloatArray] | None,
    band_times: FloatArray | None = None,
    lines: Sequence[tuple[str, str, FloatArray, FloatArray]],
    reference_bands: Sequence[ReferenceBand] = REFERENCE_BANDS,
    width: int = 760,
    height: int = 380,
) -> Chart:
    """Geometry of the concentration-time chart.

    ``lines`` are (key, label, times, values); the first is the main (typical-patient) curve. The y axis
    runs from 0 to a round number above every curve and the band; reference bands that start
    above it are listed in ``bands_above`` rather than drawn (anaesthesia would flatten the rest).
    """
    left, right, top, bottom = 64, width - 118, 14, height - 50
    x_max = float(times[-1])
    highest = max(float(np.max(v)) for _, _, _, v in lines)
    if band is not None:
        highest = max(highest, float(np.max(band[1])))
    y_max = _nice_ceiling(highest * 1.1)

    def x(t: float) -> float:
        return left + (right - left) * t / x_max

    def y(c: float) -> float:
        return bottom - (bottom - top) * min(c, y_max) / y_max

    def points(at: FloatArray, values: FloatArray) -> str:
        return " ".join(
            f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, values, strict=True)
        )

    band_path = ""
    if band is not None:
        low, high = band
        at = times if band_times is None else band_times
        upper = [f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, high, strict=True)]
        lower = [f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, low, strict=True)]
        band_path = "M" + " L".join(upper) + " L" + " L".join(reversed(lower)) + " Z"

    chart_lines: list[ChartLine] = []
    for k, (key, label, at, values) in enumerate(lines):
        if k == 0:
            color, dash, stroke = "#1f5f8b", "", 3.0
        elif key == "median":
            color, dash, stroke = "#1f5f8b", "4 3", 1.5
        else:
            color, dash = _SPREAD_COLORS.get(key, ("#5b6775", "5 3"))
            stroke = 1.6
        chart_lines.append(ChartLine(key, label, points(at, values), color, stroke, dash))

    drawn: list[ChartBand] = []
    above: list[ReferenceBand] = []
    for ref in reference_bands:
        if ref.low_ng_ml >= y_max:
            above.append(ref)
            continue
        y_top, y_bottom = y(ref.high_ng_ml), y(ref.low_ng_ml)
        drawn.append(
            ChartBand(
                label=ref.label,
                range_text=f"{_fmt(ref.low_ng_ml, 0)}-{_fmt(ref.high_ng_ml, 0)} ng/mL",
                y=round(y_top, 1),
                height=round(y_bottom - y_top, 1),
                label_y=round(y_top + 12, 1),
                color=_BAND_COLORS.get(ref.key, "#5b6775"),
            )
        )
    # Overlapping bands (analgesia and dissociation share 100-160): stagger their labels.
    staggered: list[ChartBand] = []
    for band_item in sorted(drawn, key=lambda b: -b.label_y):
        label_y = band_item.label_y
        for placed in staggered:
            if abs(placed.label_y - label_y) < LABEL_GAP:
                label_y = placed.label_y - LABEL_GAP
        staggered.append(replace(band_item, label_y=label_y))

    x_step = 30.0 if x_max <= 240 else 60.0
    x_ticks = tuple(
        Tick(t, round(x(t), 1), _fmt(t, 0)) for t in np.arange(0.0, x_max + 1e-9, x_step)
    )
    y_step = _nice_step(y_max)
    y_ticks = tuple(
        Tick(c, round(y(c), 1), _fmt(c, 1)) for c in np.arange(0.0, y_max + 1e-9, y_step)
    )
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        band_path=band_path,
        lines=tuple(chart_lines),
        ref_bands=tuple(staggered),
        bands_above=tuple(above),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        x_max=x_max,
        y_max=y_max,
    )


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExposureView:
    protocol: Protocol
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
    def is_esketamine(self) -> bool:
        return self.protocol.drug is Drug.ESKETAMINE

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
    if not WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG:
        raise ValueError(
            f"weight must be between {WEIGHT_MIN_KG:g} and {WEIGHT_MAX_KG:g} kg, got {weight_kg:g}"
        )
    plan = doses_for_protocol(protocol, weight_kg, amount)
    model_id = model_for(protocol)
    spec = get_model(model_id)
    times = time_grid(protocol)
    band_times = population_grid(times, protocol)
    t_end = float(times[-1])
    levels = tuple(levels)
    with warnings.catch_warnings():
        # Population mismatches are collected below and shown on the page, not emitted.
        warnings.simplefilter("ignore", PopulationWarning)
        typical = simulate(model_id, weight_kg, plan.doses, times, age_years=age_years)
        samples = simulate_population(
            model_id, weight_kg, plan.doses, band_times, n, seed, age_years=age_years
        )
        spread_ids = [m for m in spread_models_for(protocol) if m != model_id]
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
    return ExposureView(
        protocol=protocol,
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
        reference_note=(
            ESKETAMINE_REFERENCE_NOTE
            if protocol.drug is Drug.ESKETAMINE
            else RACEMIC_REFERENCE_NOTE
        ),
    )
