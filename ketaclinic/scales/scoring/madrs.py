"""MADRS: Montgomery-Asberg Depression Rating Scale (licensed: structure and scoring only).

Sources: 10 clinician-rated items 0-6, total 0-60; bands 0-6 normal, 7-19 mild, 20-34
moderate, >= 35 severe [CamCOPS; Canvas]. Response >= 50 % drop; remission <= 12 (some
trials <= 10: configurable) [Auvelity]. LOINC: none confirmed. Licence: Royal College of
Psychiatrists copyright; permission refused to CamCOPS (2013): no item text ships.
Item 10 (suicidal thoughts) > 0 flags ``suicidal_ideation``: a project default beyond
scales.md, configurable through ``item_flags``.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Band,
    Item,
    ItemFlagRule,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

DEFINITION = ScaleDefinition(
    code="madrs",
    name="Montgomery-Asberg Depression Rating Scale (MADRS)",
    version="1",
    items=tuple(Item(id=str(number), min=0, max=6) for number in range(1, 11)),
    min_total=0,
    max_total=60,
    licence="licensed",
    licence_note="Royal College of Psychiatrists copyright; item text must be loaded by a "
    "licensed clinic.",
    bands=(  # [CamCOPS; Canvas]
        Band("normal", 0, 6, "Normal"),
        Band("mild", 7, 19, "Mild"),
        Band("moderate", 20, 34, "Moderate"),
        Band("severe", 35, 60, "Severe"),
    ),
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,  # [Auvelity]
        remission_at_or_below=12,  # [Auvelity]; some trials use 10
        source="Auvelity",
    ),
    item_flags=(ItemFlagRule("10", 1, "suicidal_ideation", "project default, not in scales.md"),),
    sources=("CamCOPS", "Canvas", "Auvelity"),
    notes=("Suicidal-thoughts item flag is a project default.",),
)

build = build_sum_scorer
