"""QIDS-SR16: Quick Inventory of Depressive Symptomatology, self-report, 16 items.

Licensed until UT Southwestern's terms are verified (scales.md): structure only.

Sources [IDS]: 16 items 0-3 grouped into 9 domains; domain score = highest of the sleep
items 1-4, highest of the appetite/weight items 6-9, highest of the psychomotor items
15-16, and the single score of each other item (5, 10, 11, 12, 13, 14); total = sum of the
9 domains, 0-27. Bands 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very
severe. Remission <= 5 (STAR*D). Response >= 50 % drop [issue 3]. LOINC: none confirmed.
Item 12 (suicidal ideation) > 0 flags ``suicidal_ideation``: project default beyond
scales.md, configurable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketaclinic.scales.scoring.base import (
    Band,
    Item,
    ItemFlagRule,
    Number,
    OutcomeRule,
    ScaleDefinition,
    ScaleResult,
    Scorer,
    apply_flags,
    item_flag_checks,
    make_checker,
)

# domain id -> item ids [IDS]
DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sleep", ("1", "2", "3", "4")),
    ("sad_mood", ("5",)),
    ("appetite_weight", ("6", "7", "8", "9")),
    ("concentration", ("10",)),
    ("self_view", ("11",)),
    ("suicidal_ideation", ("12",)),
    ("interest", ("13",)),
    ("energy", ("14",)),
    ("psychomotor", ("15", "16")),
)

DEFINITION = ScaleDefinition(
    code="qids_sr16",
    name="Quick Inventory of Depressive Symptomatology, Self-Report (QIDS-SR16)",
    version="1",
    items=tuple(Item(id=str(number), min=0, max=3) for number in range(1, 17)),
    min_total=0,
    max_total=27,
    licence="licensed",
    licence_note="Described as free for clinical and research use; UT Southwestern "
    "commercial terms unverified, so treated as licensed.",
    bands=(  # [IDS]
        Band("none", 0, 5, "None"),
        Band("mild", 6, 10, "Mild"),
        Band("moderate", 11, 15, "Moderate"),
        Band("severe", 16, 20, "Severe"),
        Band("very_severe", 21, 27, "Very severe"),
    ),
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,  # issue 3
        remission_at_or_below=5,  # STAR*D [IDS]
        source="IDS; issue 3",
    ),
    item_flags=(ItemFlagRule("12", 1, "suicidal_ideation", "project default, not in scales.md"),),
    subscales=tuple(domain for domain, _ in DOMAINS),
    sources=("IDS",),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    bands = tuple(defn.band_for(total) for total in range(int(defn.max_total) + 1))
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    domains = tuple(
        (name, tuple(defn.position(item_id) for item_id in ids)) for name, ids in DOMAINS
    )

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        subscores: dict[str, Number | None] = {}
        total = 0
        for name, where in domains:
            values = [answers[p] for p in where]
            if None in values:
                subscores[name] = None
            else:
                subscores[name] = domain = max(values)
                total += domain
        if complete:
            return ScaleResult(
                total,
                bands[total],
                subscores,
                apply_flags(answers, total, item_checks, total_flags, True),
            )
        return ScaleResult(
            None, None, subscores, apply_flags(answers, None, item_checks, total_flags, False)
        )

    return score
