"""BPRS: Brief Psychiatric Rating Scale, 18 items, and its positive subscale (BPRS+).

Sources [CamCOPS bprs.rst]: 18 items rated 1-7; total 18-126. Positive subscale, 4 items:
suspiciousness, hallucinatory behaviour, unusual thought content, conceptual
disorganisation; range 4-28. Item order is the 18-item Overall & Gorham order (items 4,
11, 12 and 15 are the positive items); **verify** against the clinic's form. No bands, no
response/remission rule. Alert (*default*): a rise from the pre-dose rating flags
``rise_from_pre_dose`` in ``outcome()`` (use it on the total or on the positive subscore).
Licence: public domain (VA/NIMH work); the item titles ship.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketaclinic.scales.scoring.base import (
    Anchor,
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
    sum_or_none,
)

_TITLES = (
    "Somatic concern",
    "Anxiety",
    "Emotional withdrawal",
    "Conceptual disorganisation",
    "Guilt feelings",
    "Tension",
    "Mannerisms and posturing",
    "Grandiosity",
    "Depressive mood",
    "Hostility",
    "Suspiciousness",
    "Hallucinatory behaviour",
    "Motor retardation",
    "Uncooperativeness",
    "Unusual thought content",
    "Blunted affect",
    "Excitement",
    "Disorientation",
)
POSITIVE_ITEMS = ("4", "11", "12", "15")

_ANCHORS = (
    Anchor(1, "Not present"),
    Anchor(2, "Very mild"),
    Anchor(3, "Mild"),
    Anchor(4, "Moderate"),
    Anchor(5, "Moderately severe"),
    Anchor(6, "Severe"),
    Anchor(7, "Extremely severe"),
)

DEFINITION = ScaleDefinition(
    code="bprs",
    name="Brief Psychiatric Rating Scale, 18 items (BPRS)",
    version="1",
    items=tuple(
        Item(id=str(number), min=1, max=7, text=title, anchors=_ANCHORS)
        for number, title in enumerate(_TITLES, start=1)
    ),
    min_total=18,
    max_total=126,
    licence="free",
    licence_note="Public domain (VA/NIMH work).",
    outcome_rule=OutcomeRule(
        change_flags=(ChangeFlagRule("rise", 0, "rise_from_pre_dose", "scales.md default"),),
        source="scales.md BPRS alert default",
    ),
    subscales=("positive",),
    sources=("CamCOPS bprs.rst",),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    positive = tuple(defn.position(i) for i in POSITIVE_ITEMS)

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        subscores: dict[str, Number | None] = {"positive": sum_or_none(answers, positive)}
        total = sum(answers) if complete else None
        return ScaleResult(
            total, None, subscores, apply_flags(answers, total, item_checks, total_flags, complete)
        )

    return score
