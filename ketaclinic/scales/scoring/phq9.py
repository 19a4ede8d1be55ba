"""PHQ-9: Patient Health Questionnaire, 9 items (free; item text ships).

Sources (keys of shared/domain/scales.md):
- Items, 0-3 answers, total 0-27, bands 0-4/5-9/10-14/15-19/20-27 [Calc].
- LOINC panel 44249-1, total 44261-6, item 9 44260-8 [USCore; PHRIG]. Other item codes
  are not confirmed in scales.md, so they are not set here.
- Licence: Pfizer; reproduction, translation, display and distribution need no permission
  [USCore].
- Response >= 50 % drop [issue 3; common]. Remission < 5 (total <= 4) is a common
  convention that scales.md marks **unverified**: it is the configurable default of
  ``OutcomeRule.remission_at_or_below`` (``Scale.configured(outcome_rule=...)``).
- Alert (project *default*, configurable): item 9 > 0 flags ``suicidal_ideation``.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Anchor,
    Band,
    Item,
    ItemFlagRule,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

_ANCHORS = (
    Anchor(0, "Not at all"),
    Anchor(1, "Several days"),
    Anchor(2, "More than half the days"),
    Anchor(3, "Nearly every day"),
)

_TEXT = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

DEFINITION = ScaleDefinition(
    code="phq9",
    name="Patient Health Questionnaire-9 (PHQ-9)",
    version="1",
    items=tuple(
        Item(
            id=str(number),
            min=0,
            max=3,
            text=text,
            anchors=_ANCHORS,
            loinc="44260-8" if number == 9 else None,  # [USCore]
        )
        for number, text in enumerate(_TEXT, start=1)
    ),
    min_total=0,
    max_total=27,
    licence="free",
    licence_note="Pfizer copyright; no permission required to reproduce, translate, "
    "display or distribute [USCore].",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the "
    "following problems?",
    bands=(  # [Calc]
        Band("minimal", 0, 4, "Minimal"),
        Band("mild", 5, 9, "Mild"),
        Band("moderate", 10, 14, "Moderate"),
        Band("moderately_severe", 15, 19, "Moderately severe"),
        Band("severe", 20, 27, "Severe"),
    ),
    loinc_total="44261-6",  # [USCore; PHRIG]
    loinc_panel="44249-1",  # [USCore]
    outcome_rule=OutcomeRule(
        response_drop_percent=50.0,  # issue 3; ">= 50 % drop is common" (scales.md)
        remission_at_or_below=4,  # "< 5", UNVERIFIED convention: configurable
        source="scales.md PHQ-9; remission convention unverified",
    ),
    item_flags=(
        ItemFlagRule("9", 1, "suicidal_ideation", "scales.md PHQ-9 alert (project default)"),
    ),
    sources=("Calc", "USCore", "PHRIG"),
    notes=("Remission threshold < 5 is an unverified convention; configurable.",),
)

build = build_sum_scorer
