"""PCL-5: PTSD Checklist for DSM-5, 20 items (public domain; item text ships).

Sources [PCL]: 20 items 0-4 about the past month; total 0-80; no official severity bands
(``band`` is None). Clusters B = items 1-5, C = 6-7, D = 8-14, E = 15-20. DSM-5 rule (an
item rated 2 or more counts as endorsed): B >= 1, C >= 1, D >= 2, E >= 2 endorsed items
-> flag ``dsm5_criteria_met``. A total cut-off of 31-33 suggests provisional PTSD: the
flag ``above_cutoff`` uses 33 by default (configurable ``total_flags``). Change of 5
points = reliable, 10 points = clinically meaningful (outcome flags). Response >= 50 %
drop follows issue 3's general rule (not a PCL-specific source). LOINC: none confirmed.
Licence: public domain (VA National Center for PTSD).
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
    TotalFlagRule,
    apply_flags,
    item_flag_checks,
    make_checker,
)

ENDORSED_AT = 2  # [PCL] "an item >= 2 counts as endorsed"
# cluster id -> (first item, last item, endorsed items needed) [PCL]
CLUSTERS: tuple[tuple[str, int, int, int], ...] = (
    ("B", 1, 5, 1),
    ("C", 6, 7, 1),
    ("D", 8, 14, 2),
    ("E", 15, 20, 2),
)

_ANCHORS = (
    Anchor(0, "Not at all"),
    Anchor(1, "A little bit"),
    Anchor(2, "Moderately"),
    Anchor(3, "Quite a bit"),
    Anchor(4, "Extremely"),
)

_TEXT = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one "
    "can be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)

DEFINITION = ScaleDefinition(
    code="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    version="1",
    items=tuple(
        Item(id=str(number), min=0, max=4, text=text, anchors=_ANCHORS)
        for number, text in enumerate(_TEXT, start=1)
    ),
    min_total=0,
    max_total=80,
    licence="free",
    licence_note="Public domain (VA National Center for PTSD).",
    instructions="In the past month, how much were you bothered by:",
    outcome_rule=OutcomeRule(
        # PTSD programmes (issue 16): response = a fall of at least 10 points, the change the
        # PCL-5 guidance calls clinically meaningful (scales.md PCL-5 [PCL]; clinical.md 13).
        # No remission rule: the PCL-5 has no official severity bands (scales.md).
        response_drop_points=10,
        indications=("ptsd",),
        change_flags=(
            ChangeFlagRule("point_drop", 5, "reliable_change", "PCL: 5 points reliable"),
            ChangeFlagRule(
                "point_drop", 10, "clinically_meaningful_change", "PCL: 10 points meaningful"
            ),
        ),
        source="PCL (scales.md: 10 points clinically meaningful, 5 reliable); clinical.md 13",
    ),
    total_flags=(TotalFlagRule(33, "above_cutoff", "PCL: cut-off 31-33; 33 by default"),),
    subscales=tuple(cluster[0] for cluster in CLUSTERS),
    sources=("PCL",),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    clusters = tuple(
        (name, tuple(range(first - 1, last)), needed) for name, first, last, needed in CLUSTERS
    )

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        subscores: dict[str, Number | None] = {}
        criteria_met = True
        for name, where, needed in clusters:
            values = [answers[p] for p in where]
            subscores[name] = None if None in values else sum(values)
            endorsed = sum(1 for v in values if v is not None and v >= ENDORSED_AT)
            if endorsed < needed:
                criteria_met = False
        total = sum(answers) if complete else None
        flags = apply_flags(answers, total, item_checks, total_flags, complete)
        if criteria_met:
            # Endorsed items are a lower bound, so the rule can hold even when incomplete.
            flags = ("dsm5_criteria_met", *flags)
        return ScaleResult(total, None, subscores, flags)

    return score
