"""Y-BOCS: Yale-Brown Obsessive Compulsive Scale, 10 severity items (licensed: shell only).

Sources [YBOCS; CamCOPS ybocs.rst]: 10 severity items 0-4; obsessions = items 1-5 (0-20),
compulsions = items 6-10 (0-20); total 0-40. Bands 0-7 subclinical, 8-15 mild, 16-23
moderate, 24-31 severe, 32-40 extreme. Response >= 35 % drop is common but **unverified**:
configurable default. No remission rule in scales.md. LOINC: none confirmed. Licence: OCD
Scales LLC requires a licence for EMR/app/digital use: no item text ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketaclinic.scales.scoring.base import (
    Band,
    Item,
    Number,
    OutcomeRule,
    ScaleDefinition,
    ScaleResult,
    Scorer,
    apply_flags,
    band_table,
    item_flag_checks,
    make_checker,
    sum_or_none,
)

DEFINITION = ScaleDefinition(
    code="ybocs",
    name="Yale-Brown Obsessive Compulsive Scale (Y-BOCS)",
    version="1",
    items=tuple(Item(id=str(number), min=0, max=4) for number in range(1, 11)),
    min_total=0,
    max_total=40,
    licence="licensed",
    licence_note="OCD Scales LLC: licence required for commercial, EMR, app or digital use.",
    bands=(  # [YBOCS; CamCOPS ybocs.rst]
        Band("subclinical", 0, 7, "Subclinical"),
        Band("mild", 8, 15, "Mild"),
        Band("moderate", 16, 23, "Moderate"),
        Band("severe", 24, 31, "Severe"),
        Band("extreme", 32, 40, "Extreme"),
    ),
    outcome_rule=OutcomeRule(
        response_drop_percent=35.0,  # UNVERIFIED ("common"): configurable
        source="scales.md Y-BOCS: >= 35 % common but unverified",
    ),
    subscales=("obsessions", "compulsions"),
    sources=("YBOCS", "CamCOPS ybocs.rst"),
    notes=("Response threshold 35 % is unverified; configurable.",),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    bands = band_table(defn)
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    obsessions = tuple(range(5))
    compulsions = tuple(range(5, 10))

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        subscores: dict[str, Number | None] = {
            "obsessions": sum_or_none(answers, obsessions),
            "compulsions": sum_or_none(answers, compulsions),
        }
        total = sum(answers) if complete else None
        return ScaleResult(
            total,
            None if total is None else bands[total],
            subscores,
            apply_flags(answers, total, item_checks, total_flags, complete),
        )

    return score
