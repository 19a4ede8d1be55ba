"""BPI-SF: Brief Pain Inventory, short form: scored parts only (licensed: structure only).

Sources [BPI]: 4 pain-severity ratings 0-10 (worst, least, average, now) and 7
interference ratings 0-10. Severity = worst pain or the mean of the 4; interference = the
mean of the 7. Worst pain 1-4 mild, 5-6 moderate, 7-10 severe. A worst pain of 0 is band
``none`` (no pain; follows from the scale, not a published band).

Here ``total`` is the pain-severity score (mean of the 4 severity ratings, 0-10); the
subscores hold ``severity``, ``interference`` and ``worst``; the band follows worst pain.
Meaningful change: interference >= 1 point [IMMPACT]: compare ``subscores["interference"]``.
Outcome on the severity total: 30 % / 50 % reduction flags as for pain intensity
[IMMPACT]; response >= 50 % drop (issue 3's general rule). Item ids are descriptive; the
numbering of the printed form belongs to the licensed text. LOINC: none confirmed.
Licence: Cleeland / MD Anderson copyright, permission and fees: no item text ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketaclinic.scales.scoring.base import (
    Band,
    ChangeFlagRule,
    Item,
    Number,
    OutcomeRule,
    ScaleDefinition,
    ScaleResult,
    Scorer,
    apply_flags,
    item_flag_checks,
    make_checker,
    mean_or_none,
)

SEVERITY = ("worst", "least", "average", "now")
INTERFERENCE = (
    "general_activity",
    "mood",
    "walking",
    "work",
    "relations",
    "sleep",
    "enjoyment",
)

DEFINITION = ScaleDefinition(
    code="bpi_sf",
    name="Brief Pain Inventory, short form (BPI-SF)",
    version="1",
    items=tuple(Item(id=item_id, min=0, max=10) for item_id in SEVERITY + INTERFERENCE),
    min_total=0,
    max_total=10,
    licence="licensed",
    licence_note="Cleeland / MD Anderson copyright; permission and fees required.",
    bands=(  # worst pain [BPI]
        Band("none", 0, 0, "No pain"),
        Band("mild", 1, 4, "Mild"),
        Band("moderate", 5, 6, "Moderate"),
        Band("severe", 7, 10, "Severe"),
    ),
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,  # issue 3 general rule
        change_flags=(
            ChangeFlagRule("percent_drop", 30, "moderate_reduction", "IMMPACT: >= 30 %"),
            ChangeFlagRule("percent_drop", 50, "substantial_reduction", "IMMPACT: >= 50 %"),
        ),
        source="IMMPACT; issue 3",
    ),
    subscales=("severity", "interference", "worst"),
    sources=("BPI", "IMMPACT"),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    severity = tuple(defn.position(i) for i in SEVERITY)
    interference = tuple(defn.position(i) for i in INTERFERENCE)
    worst = defn.position("worst")

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        severity_score = mean_or_none(answers, severity)
        worst_pain = answers[worst]
        subscores: dict[str, Number | None] = {
            "severity": severity_score,
            "interference": mean_or_none(answers, interference),
            "worst": worst_pain,
        }
        total = severity_score if complete else None
        band = defn.band_for(worst_pain) if complete else None
        return ScaleResult(
            total, band, subscores, apply_flags(answers, total, item_checks, total_flags, complete)
        )

    return score
