"""Plain data types of the exposure simulator (no Django, no maths).

`Dose` is the public input type. `Param`, `Iiv`, `Population`, `OptionSpec` and `ModelSpec`
describe a published model as data (see `parameters.py`); `Disposition` and `InputTerm` are what a
model's data turn into for a batch of subjects, and what the engine (`engine.py`) solves exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

ROUTES: tuple[str, ...] = ("iv", "im", "oral", "intranasal", "esketamine_nasal")
ESKETAMINE_DEVICE_MG = 28.0
"""One SPRAVATO device delivers 28 mg esketamine base (32.3 mg HCl) [S37]."""


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


@dataclass(frozen=True)
class Dose:
    """One administration.

    route: "iv" (bolus when duration_min is 0, else a zero-order infusion over duration_min),
    "im", "oral", "intranasal" (first-order depot; duration_min > 0 fills the depot at a constant
    rate instead of all at once), or "esketamine_nasal" (Perez-Ruixo 2021; mg is a whole number of
    28 mg devices, all at start_min unless device_interval_min is given).
    bioavailability and ka_per_min override the model's defaults for depot routes.
    """

    route: str
    mg: float
    start_min: float
    duration_min: float = 0.0
    bioavailability: float | None = None
    ka_per_min: float | None = None
    device_interval_min: float = 0.0

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"unknown route {self.route!r}; allowed routes: {', '.join(ROUTES)}")
        if not _finite(self.mg) or self.mg <= 0:
            raise ValueError(f"dose must be a positive number of mg, got {self.mg!r}")
        if not _finite(self.start_min) or self.start_min < 0:
            raise ValueError(f"start_min must be a finite time >= 0 min, got {self.start_min!r}")
        if not _finite(self.duration_min) or self.duration_min < 0:
            raise ValueError(
                f"duration_min must be a finite duration >= 0 min, got {self.duration_min!r}"
            )
        if self.bioavailability is not None and (
            not _finite(self.bioavailability) or not 0 < self.bioavailability <= 1
        ):
            raise ValueError(f"bioavailability must be in (0, 1], got {self.bioavailability!r}")
        if self.ka_per_min is not None and (not _finite(self.ka_per_min) or self.ka_per_min <= 0):
            raise ValueError(f"ka_per_min must be a positive rate, got {self.ka_per_min!r}")
        if not _finite(self.device_interval_min) or self.device_interval_min < 0:
            raise ValueError(
                "device_interval_min must be a finite interval >= 0 min, "
                f"got {self.device_interval_min!r}"
            )
        self._check_route_fields()

    def _check_route_fields(self) -> None:
        if self.route == "iv" and (self.bioavailability is not None or self.ka_per_min is not None):
            raise ValueError("an iv dose is fully available: bioavailability and ka do not apply")
        if self.route != "esketamine_nasal" and self.device_interval_min != 0:
            raise ValueError("device_interval_min applies only to the esketamine_nasal route")
        if self.route == "esketamine_nasal":
            devices = self.mg / ESKETAMINE_DEVICE_MG
            if abs(devices - round(devices)) > 1e-9:
                raise ValueError(
                    "esketamine_nasal doses are whole 28 mg devices (28, 56, 84 mg), "
                    f"got {self.mg} mg"
                )
            if self.duration_min != 0:
                raise ValueError(
                    "esketamine_nasal takes no duration_min; use device_interval_min for the "
                    "time between devices"
                )
            if self.bioavailability is not None or self.ka_per_min is not None:
                raise ValueError(
                    "esketamine_nasal absorption comes from the Perez-Ruixo 2021 model "
                    "(FRn, ka_n, Fgut); bioavailability and ka_per_min cannot be overridden"
                )

    @property
    def devices(self) -> int:
        """Number of 28 mg devices (esketamine_nasal only)."""
        return round(self.mg / ESKETAMINE_DEVICE_MG)


@dataclass(frozen=True)
class Iiv:
    """Inter-individual variability of one parameter.

    transform "log": P_i = theta * exp(eta), eta ~ N(0, ln(1 + cv^2)); `cv` a fraction (0.3 = 30%).
    transform "logit": logit(P_i) = logit(theta) + eta, eta ~ N(0, sd^2); `sd` on the logit scale.
    """

    transform: Literal["log", "logit"]
    cv: float | None = None
    sd: float | None = None
    source: str = ""
    assumption: bool = False

    @property
    def omega(self) -> float:
        """Standard deviation of eta on the transformed scale."""
        if self.transform == "log":
            assert self.cv is not None  # noqa: S101 - data invariant, checked by tests
            return math.sqrt(math.log1p(self.cv**2))
        assert self.sd is not None  # noqa: S101 - data invariant, checked by tests
        return self.sd


# Published units and the factor that converts them once into engine units (L, L/min, 1/min, min).
UNIT_FACTORS: dict[str, float] = {
    "L": 1.0,
    "L/kg": 1.0,
    "L/70 kg": 1.0,
    "L/h": 1.0 / 60.0,
    "L/h/70 kg": 1.0 / 60.0,
    "L/h per year": 1.0 / 60.0,
    "1/h": 1.0 / 60.0,
    "1/min": 1.0,
    "h": 60.0,
    "min": 1.0,
    "fraction": 1.0,
    "factor": 1.0,
}


@dataclass(frozen=True)
class Param:
    """One model parameter, stored as published, with its source.

    `value` is in `unit`; `engine_value` is the same quantity in engine units.
    `verified` is False where the shared reference marks the value unverified against the paper.
    `assumption` is True where the value is not from the model's paper at all (a labelled default).
    """

    name: str
    value: float
    unit: str
    source: str
    description: str = ""
    iiv: Iiv | None = None
    verified: bool = True
    assumption: bool = False

    @property
    def engine_value(self) -> float:
        return self.value * UNIT_FACTORS[self.unit]


@dataclass(frozen=True)
class Population:
    """Who the model was estimated in; used to warn when a simulation goes outside it."""

    # adults, children, intensive care, healthy volunteers, treatment-resistant depression
    kind: str
    description: str
    source: str
    age_range_years: tuple[float, float] | None = None
    weight_range_kg: tuple[float, float] | None = None
    weight_range_note: str = ""
    always_warn: str = ""


@dataclass(frozen=True)
class OptionSpec:
    """A model-specific switch, kept configurable because the reference leaves it open."""

    default: float | str
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Disposition:
    """A batch of N mammillary-type linear systems (detailed balance), in engine units.

    volumes: (N, n) L, compartment 0 is the sampled (plasma) compartment.
    edges: pairs (a, b) of compartments exchanging with flow flows[:, k] (N, m) in L/min.
    clearance: (N,) L/min leaving `elimination_compartment`.
    """

    volumes: FloatArray
    edges: tuple[tuple[int, int], ...]
    flows: FloatArray
    clearance: FloatArray
    elimination_compartment: int = 0


@dataclass(frozen=True)
class InputTerm:
    """An amount (N,) mg that reaches `compartment` from `start_min`.

    fill_min == 0: all at once; > 0: at a constant rate over fill_min.
    ka_per_min None: directly into the compartment; else through a first-order depot (N,) 1/min.
    """

    start_min: float
    amount_mg: FloatArray
    compartment: int
    fill_min: float = 0.0
    ka_per_min: FloatArray | None = None


Values = Mapping[str, FloatArray]
Options = Mapping[str, float | str]
BuildFn = Callable[[Values, float, Options, float | None], Disposition]
InputsFn = Callable[[Dose, Values, Options], list[InputTerm]]


@dataclass(frozen=True)
class ModelSpec:
    """A published model as data: parameters with sources, population, routes, options."""

    id: str
    title: str
    reference: str
    structure: str
    population: Population
    params: tuple[Param, ...]
    routes: tuple[str, ...]
    weight_scaling: str
    build: BuildFn = field(repr=False)
    inputs: InputsFn = field(repr=False)
    options: Mapping[str, OptionSpec] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def has_iiv(self) -> bool:
        return any(p.iiv is not None for p in self.params)
