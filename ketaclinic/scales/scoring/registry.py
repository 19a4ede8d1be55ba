"""The registry of scales and the public functions ``list_scales``, ``score``, ``outcome``."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType, ModuleType
from typing import Any

from ketaclinic.scales.scoring import (
    bpi_sf,
    bprs,
    cadss,
    cgi_i,
    cgi_s,
    cssrs_screener,
    gad7,
    hamd17,
    madrs,
    moaas,
    nrs_pain,
    pcl5,
    phq9,
    qids_sr16,
    ybocs,
)
from ketaclinic.scales.scoring.base import (
    OutcomeResult,
    Scale,
    ScaleDefinition,
    ScaleInputError,
    ScaleResult,
    Scorer,
)

_MODULES: tuple[ModuleType, ...] = (
    phq9,
    gad7,
    madrs,
    qids_sr16,
    hamd17,
    pcl5,
    ybocs,
    cssrs_screener,
    bpi_sf,
    nrs_pain,
    cadss,
    moaas,
    bprs,
    cgi_s,
    cgi_i,
)


def _load() -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    for module in _MODULES:
        definition: ScaleDefinition = module.DEFINITION
        scales[definition.code] = Scale(definition, module.build)
    return scales


SCALES: MappingProxyType[str, Scale] = MappingProxyType(_load())
_SCORERS: dict[str, Scorer] = {code: scale.score for code, scale in SCALES.items()}
CODES: tuple[str, ...] = tuple(SCALES)


def _unknown(code: object) -> ScaleInputError:
    return ScaleInputError(f"unknown scale code {code!r}; known codes: {', '.join(CODES)}")


def get_scale(code: str) -> Scale:
    """The default :class:`Scale` for ``code`` (use ``.configured()`` for a clinic variant)."""
    try:
        return SCALES[code]
    except (KeyError, TypeError):
        raise _unknown(code) from None


def get_definition(code: str) -> ScaleDefinition:
    return get_scale(code).definition


def list_scales() -> tuple[ScaleDefinition, ...]:
    """Metadata of every scale: code, name, item_count, min_total, max_total, loinc, licence."""
    return tuple(scale.definition for scale in SCALES.values())


def score(code: str, answers: Sequence[Any]) -> ScaleResult:
    """Score ``answers`` (item order; int or None each) with the default rules of ``code``."""
    try:
        scorer = _SCORERS[code]
    except (KeyError, TypeError):
        raise _unknown(code) from None
    return scorer(answers)


def outcome(code: str, baseline_total: object, current_total: object) -> OutcomeResult:
    """Percent change from the programme baseline, response and remission for ``code``."""
    return get_scale(code).outcome(baseline_total, current_total)
