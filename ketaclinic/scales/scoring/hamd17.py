"""HAM-D17: Hamilton Rating Scale for Depression, 17 items (public domain; titles ship).

Sources [CamCOPS hamd.rst]: items 4, 5, 6 (insomnia early, middle, late), 12, 13, 14
(gastrointestinal, general somatic, genital), 16 (loss of weight) and 17 (insight) are
scored 0-2, the other nine 0-4; total 0-52. Remission <= 7; response >= 50 % drop.
LOINC: none confirmed. Licence: public domain (NINDS CDE, per CamCOPS). No severity bands
are given in scales.md, so ``band`` is None. Item 3 (suicide) > 0 flags
``suicidal_ideation``: a project default beyond scales.md, configurable.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Item,
    ItemFlagRule,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

_ZERO_TO_TWO = frozenset({4, 5, 6, 12, 13, 14, 16, 17})  # [CamCOPS hamd.rst]

_TITLES = (
    "Depressed mood",
    "Feelings of guilt",
    "Suicide",
    "Insomnia: early in the night",
    "Insomnia: middle of the night",
    "Insomnia: early hours of the morning",
    "Work and activities",
    "Retardation",
    "Agitation",
    "Anxiety: psychic",
    "Anxiety: somatic",
    "Somatic symptoms: gastrointestinal",
    "Somatic symptoms: general",
    "Genital symptoms",
    "Hypochondriasis",
    "Loss of weight",
    "Insight",
)

DEFINITION = ScaleDefinition(
    code="hamd17",
    name="Hamilton Rating Scale for Depression, 17 items (HAM-D17)",
    version="1",
    items=tuple(
        Item(id=str(number), min=0, max=2 if number in _ZERO_TO_TWO else 4, text=title)
        for number, title in enumerate(_TITLES, start=1)
    ),
    min_total=0,
    max_total=52,
    licence="free",
    licence_note="Public domain (NINDS CDE, per CamCOPS).",
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,  # [CamCOPS hamd.rst]
        remission_at_or_below=7,  # [CamCOPS hamd.rst]
        source="CamCOPS hamd.rst",
    ),
    item_flags=(ItemFlagRule("3", 1, "suicidal_ideation", "project default, not in scales.md"),),
    sources=("CamCOPS hamd.rst",),
    notes=("Item texts are item titles; the rater uses the published anchors.",),
)

build = build_sum_scorer
