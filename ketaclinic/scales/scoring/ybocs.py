"""Y-BOCS: Yale-Brown Obsessive Compulsive Scale, 10 severity items (licensed: shell only).

Sources [YBOCS; CamCOPS ybocs.rst]: 10 severity items 0-4; obsessions = items 1-5 (0-20),
compulsions = items 6-10 (0-20); total 0-40. Bands 0-7 subclinical, 8-15 mild, 16-23
moderate, 24-31 severe, 32-40 extreme. Response >= 35 % drop is common but **unverified**:
configurable default (Rodriguez 2013, clinical.md 13). Remission <= 12 (Mataix-Cols 2016,
clinical.md 12). LOINC: none confirmed. Licence: OCD Scales LLC requires a licence for EMR/app/digital use: no item text ships.
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
        # OCD programmes (issue 16). Response >= 35 % fall: Rodriguez et al.,
        # Neuropsychopharmacology 2013;38:2475 (clinical.md 13); scales.md calls it common but
        # unverified, so it stays configurable (``Scale.configured``).
        response_drop_percent=35.0,
        # Remission <= 12: Mataix-Cols et al., World Psychiatry 2016 consensus (clinical.md 12).
        remission_at_or_below=12,
        indications=("ocd",),
        source="Rodriguez 2013 (>= 35 %, clinical.md 13); Mataix-Cols 2016 (<= 12, clinical.md "
        "12); scales.md Y-BOCS",
    ),
    subscales=("obsessions", "compulsions"),
    sources=("YBOCS", "CamCOPS ybocs.rst"),
    notes=(
        "Response threshold 35 % (Rodriguez 2013) is unverified in scales.md; configurable.",
        "Remission at or below 12 (Mataix-Cols 2016 consensus).",
    ),
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
