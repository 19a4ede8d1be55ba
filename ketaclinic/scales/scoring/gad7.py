"""GAD-7: Generalized Anxiety Disorder 7 (treated as free; item text ships).

Sources: 7 items 0-3, total 0-21, cut-offs 5/10/15 = mild/moderate/severe, >= 10 warrants
further evaluation [Spitzer]. LOINC total 70274-6 [PHRIG]. Licence: PHQ family, treated as
free; the licence statement itself is **unverified** in scales.md.
Response >= 50 % drop, remission < 5 [issue 3]; configurable.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Anchor,
    Band,
    Item,
    OutcomeRule,
    ScaleDefinition,
    TotalFlagRule,
    build_sum_scorer,
)

_ANCHORS = (
    Anchor(0, "Not at all"),
    Anchor(1, "Several days"),
    Anchor(2, "More than half the days"),
    Anchor(3, "Nearly every day"),
)

_TEXT = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

DEFINITION = ScaleDefinition(
    code="gad7",
    name="Generalized Anxiety Disorder-7 (GAD-7)",
    version="1",
    items=tuple(
        Item(id=str(number), min=0, max=3, text=text, anchors=_ANCHORS)
        for number, text in enumerate(_TEXT, start=1)
    ),
    min_total=0,
    max_total=21,
    licence="free",
    licence_note="PHQ family (phqscreeners.com), treated as free; statement unverified.",
    instructions="Over the last 2 weeks, how often have you been bothered by the following "
    "problems?",
    bands=(  # cut-offs 5, 10, 15 [Spitzer]
        Band("minimal", 0, 4, "Minimal"),
        Band("mild", 5, 9, "Mild"),
        Band("moderate", 10, 14, "Moderate"),
        Band("severe", 15, 21, "Severe"),
    ),
    loinc_total="70274-6",  # [PHRIG]
    outcome_rule=OutcomeRule(
        # Anxiety programmes (issue 16): response >= 50 % fall, remission < 5 (a total below
        # the mild cut-off 5 [Spitzer]); issues 3 and 16. Totals are whole numbers, so "< 5"
        # is "at or below 4". Configurable (``Scale.configured``).
        response_drop_percent=50.0,
        remission_at_or_below=4,
        indications=("anxiety",),
        source="issues 3 and 16; remission below the mild cut-off of 5 [Spitzer]",
    ),
    total_flags=(TotalFlagRule(10, "further_evaluation", "Spitzer 2006: >= 10"),),
    sources=("Spitzer", "PHRIG"),
)

build = build_sum_scorer
