"""MOAA/S: Modified Observer's Assessment of Alertness/Sedation (Chernik 1990; free).

Sources [MOAAS]: a single rating from 5 (answers readily to name spoken in a normal tone)
to 0 (no response). Alert [Label]: any fall from the pre-dose value = sedation
(``outcome()`` flag ``sedation``); 0 = loss of consciousness (``score()`` flag
``loss_of_consciousness``; the *default* pathway built on it: emergency and adverse-event
draft). No response/remission rule: ``outcome()`` reports False for both.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Anchor,
    ChangeFlagRule,
    Item,
    ItemFlagRule,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

_ANCHORS = (  # [MOAAS]
    Anchor(5, "Responds readily to name spoken in a normal tone"),
    Anchor(4, "Lethargic response to name spoken in a normal tone"),
    Anchor(3, "Responds only after name is called loudly and/or repeatedly"),
    Anchor(2, "Responds only after mild prodding or shaking"),
    Anchor(1, "Responds only after painful trapezius squeeze"),
    Anchor(0, "No response after painful trapezius squeeze"),
)

DEFINITION = ScaleDefinition(
    code="moaas",
    name="Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
    version="1",
    items=(Item(id="1", min=0, max=5, text="Responsiveness (observer rating)", anchors=_ANCHORS),),
    min_total=0,
    max_total=5,
    licence="free",
    licence_note="Published scale (Chernik 1990); low risk.",
    outcome_rule=OutcomeRule(
        change_flags=(
            ChangeFlagRule("fall", 0, "sedation", "Label: any fall from pre-dose"),
            ChangeFlagRule("at_or_below", 0, "loss_of_consciousness", "Label: 0"),
        ),
        source="Label",
    ),
    item_flags=(
        ItemFlagRule("1", 0, "loss_of_consciousness", "Label: 0 = loss of consciousness", 0),
    ),
    sources=("MOAAS", "Label"),
)

build = build_sum_scorer
