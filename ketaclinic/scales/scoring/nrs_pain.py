"""NRS pain: single 0-10 numeric rating of pain intensity (generic, free).

Sources [IMMPACT]: change vs baseline 10-20 % minimal, >= 30 % moderate, >= 50 %
substantial; about 2 points is clinically important. Outcome flags ``minimal_reduction``
(>= 10 %), ``moderate_reduction`` (>= 30 %), ``substantial_reduction`` (>= 50 %) and
``clinically_important_change`` (>= 2 points). Response = >= 50 % (issue 3's general rule).
No bands in scales.md. The wording below is generic, written for this project.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Anchor,
    ChangeFlagRule,
    Item,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

DEFINITION = ScaleDefinition(
    code="nrs_pain",
    name="Numeric Rating Scale for pain (NRS)",
    version="1",
    items=(
        Item(
            id="1",
            min=0,
            max=10,
            text="Please rate your pain right now from 0 (no pain) to 10 (worst pain you can "
            "imagine).",
            anchors=(Anchor(0, "No pain"), Anchor(10, "Worst pain you can imagine")),
        ),
    ),
    min_total=0,
    max_total=10,
    licence="free",
    licence_note="Generic single rating; wording written for this project.",
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,
        change_flags=(
            ChangeFlagRule("percent_drop", 10, "minimal_reduction", "IMMPACT: 10-20 % minimal"),
            ChangeFlagRule("percent_drop", 30, "moderate_reduction", "IMMPACT: >= 30 %"),
            ChangeFlagRule("percent_drop", 50, "substantial_reduction", "IMMPACT: >= 50 %"),
            ChangeFlagRule("point_drop", 2, "clinically_important_change", "IMMPACT: ~2 points"),
        ),
        source="IMMPACT",
    ),
    sources=("IMMPACT",),
)

build = build_sum_scorer
