"""Text specifications of doses and time grids, as typed on the command line (pure, no Django).

Dose:  ROUTE:AMOUNT[mg]:START[:DURATION][:key=value...]
       iv:35mg:0:40                 35 mg IV over 40 min from t = 0
       iv:20mg:0                    20 mg IV bolus
       im:35mg:0:f=0.93:ka=0.1      IM with explicit bioavailability and ka (1/min)
       esketamine_nasal:84mg:0:interval=5   three 28 mg devices 5 min apart
       keys: f (bioavailability), ka (1/min), interval (device interval, min)
Times: START:STOP:STEP (STOP included when it falls on the grid) or a comma list 0,5,10.
"""

from __future__ import annotations

import math

import numpy as np

from ketaclinic.pharmacology.engine import _check_times, get_model, simulate
from ketaclinic.pharmacology.parameters import MODELS
from ketaclinic.pharmacology.structures import ROUTES, Dose, FloatArray

DOSE_KEYS = {"f": "bioavailability", "ka": "ka_per_min", "interval": "device_interval_min"}
MAX_TIME_POINTS = 100_000


class SpecError(ValueError):
    """A command-line argument could not be understood; the message names the argument."""


def _number(text: str, what: str, argument: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SpecError(f"{argument} {spec!r}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SpecError(f"{argument} {spec!r}: {what} must be finite")
    return value


def parse_dose_spec(spec: str) -> Dose:
    """ROUTE:AMOUNT[mg]:START[:DURATION][:key=value...] -> Dose (SpecError naming --dose)."""
    argument = "--dose"
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) < 3:
        raise SpecError(
            f"{argument} {spec!r}: expected ROUTE:AMOUNTmg:START[:DURATION][:key=value], "
            "e.g. iv:35mg:0:40"
        )
    route, amount, start, *rest = parts
    if route not in ROUTES:
        raise SpecError(
            f"{argument} {spec!r}: unknown route {route!r}; allowed: {', '.join(ROUTES)}"
        )
    amount = amount.removesuffix("mg")
    kwargs: dict[str, float] = {}
    duration = 0.0
    for k, item in enumerate(rest):
        if "=" in item:
            key, _, text = item.partition("=")
            if key not in DOSE_KEYS:
                raise SpecError(
                    f"{argument} {spec!r}: unknown key {key!r}; "
                    f"allowed keys: {', '.join(DOSE_KEYS)}"
                )
            kwargs[DOSE_KEYS[key]] = _number(text, key, argument, spec)
        elif k == 0:
            duration = _number(item, "duration", argument, spec)
        else:
            raise SpecError(f"{argument} {spec!r}: unexpected part {item!r}; use key=value")
    try:
        return Dose(
            route,
            _number(amount, "amount", argument, spec),
            _number(start, "start", argument, spec),
            duration,
            **kwargs,
        )
    except SpecError:
        raise
    except ValueError as error:
        raise SpecError(f"{argument} {spec!r}: {error}") from None


def parse_times_spec(spec: str) -> FloatArray:
    """START:STOP:STEP (STOP included) or a comma list -> times in min (SpecError on --times)."""
    argument = "--times"
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise SpecError(f"{argument} {spec!r}: expected START:STOP:STEP, e.g. 0:240:5")
        start, stop, step = (_number(p, "value", argument, spec) for p in parts)
        if step <= 0 or stop < start:
            raise SpecError(f"{argument} {spec!r}: STEP must be > 0 and STOP >= START")
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_TIME_POINTS:
            raise SpecError(f"{argument} {spec!r}: more than {MAX_TIME_POINTS} time points")
        times = start + step * np.arange(count, dtype=np.float64)
    else:
        times = np.array(
            [_number(p, "value", argument, spec) for p in spec.split(",") if p.strip()],
            dtype=np.float64,
        )
    try:
        return _check_times(times)
    except ValueError as error:
        raise SpecError(f"{argument} {spec!r}: {error}") from None


def parse_model(model_id: str) -> str:
    if model_id not in MODELS:
        raise SpecError(f"--model {model_id!r}: unknown model; allowed: {', '.join(MODELS)}")
    return model_id


def parse_weight(text: str | float) -> float:
    weight = _number(str(text), "weight", "--weight", str(text))
    if not 20 <= weight <= 250:
        raise SpecError(f"--weight {text!r}: weight must be between 20 and 250 kg")
    return weight


def simulate_csv(model_id: str, weight: str | float, dose_specs: list[str], times_spec: str) -> str:
    """The `pk simulate` output: CSV with header time_min,conc_ng_ml."""
    model = parse_model(model_id)
    weight_kg = parse_weight(weight)
    if not dose_specs:
        raise SpecError("--dose: at least one dose is needed, e.g. --dose iv:35mg:0:40")
    doses = [parse_dose_spec(s) for s in dose_specs]
    times = parse_times_spec(times_spec)
    spec = get_model(model)
    for dose in doses:
        if dose.route not in spec.routes:
            raise SpecError(
                f"--dose route {dose.route!r}: model {model} cannot take it; allowed: "
                f"{', '.join(spec.routes)}"
            )
    conc = simulate(model, weight_kg, doses, times)
    lines = ["time_min,conc_ng_ml"]
    lines.extend(f"{t:g},{c:.4f}" for t, c in zip(times, conc, strict=True))
    return "\n".join(lines) + "\n"
