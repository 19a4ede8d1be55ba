"""Rating scales for measurement-based care.

The public API of the pure scale library (no Django import here): ``list_scales()``,
``score(code, answers)``, ``outcome(code, baseline_total, current_total)`` and
``ScaleInputError``. Django models, services and views of the ``scales`` app live in their
own modules and import from here, never the other way round.
"""

from ketaclinic.scales.scoring import (
    CODES,
    Anchor,
    Band,
    Item,
    OutcomeResult,
    OutcomeRule,
    Scale,
    ScaleDefinition,
    ScaleInputError,
    ScaleResult,
    get_definition,
    get_scale,
    list_scales,
    outcome,
    score,
)

__all__ = [
    "CODES",
    "Anchor",
    "Band",
    "Item",
    "OutcomeResult",
    "OutcomeRule",
    "Scale",
    "ScaleDefinition",
    "ScaleInputError",
    "ScaleResult",
    "get_definition",
    "get_scale",
    "list_scales",
    "outcome",
    "score",
]
