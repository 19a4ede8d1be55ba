"""Pure scoring core: one module per scale, a common base and a registry. No Django."""

from ketaclinic.scales.scoring.base import (
    Anchor,
    Band,
    ChangeFlagRule,
    Item,
    ItemFlagRule,
    OutcomeResult,
    OutcomeRule,
    RiskRule,
    Scale,
    ScaleDefinition,
    ScaleInputError,
    ScaleResult,
    TotalFlagRule,
)
from ketaclinic.scales.scoring.registry import (
    CODES,
    SCALES,
    get_definition,
    get_scale,
    list_scales,
    outcome,
    score,
)

__all__ = [
    "CODES",
    "SCALES",
    "Anchor",
    "Band",
    "ChangeFlagRule",
    "Item",
    "ItemFlagRule",
    "OutcomeResult",
    "OutcomeRule",
    "RiskRule",
    "Scale",
    "ScaleDefinition",
    "ScaleInputError",
    "ScaleResult",
    "TotalFlagRule",
    "get_definition",
    "get_scale",
    "list_scales",
    "outcome",
    "score",
]
