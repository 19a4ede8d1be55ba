"""Exposure simulator: predicted ketamine and esketamine plasma concentrations (issue 5).

Pure numpy/scipy; only `apps.py` and the management command import Django. Output is an estimate
for clinical decision support, never a dosing order.
"""

from ketaclinic.pharmacology.engine import (
    Exposure,
    PopulationWarning,
    exposure,
    get_model,
    iter_population,
    list_models,
    population_warnings,
    simulate,
    simulate_population,
)
from ketaclinic.pharmacology.structures import ROUTES, Dose, ModelSpec

__all__ = [
    "ROUTES",
    "Dose",
    "Exposure",
    "ModelSpec",
    "PopulationWarning",
    "exposure",
    "get_model",
    "iter_population",
    "list_models",
    "population_warnings",
    "simulate",
    "simulate_population",
]
