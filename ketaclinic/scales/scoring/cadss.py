"""CADSS: Clinician-Administered Dissociative States Scale, 23-item version (licensed).

Sources [CADSS]: the full scale has 28 items (subjective and observer parts, Bremner 2014
manual); ketamine trials use a 23-item version, items 0-4, total 0-92. No bands. No
response or remission rule (it measures a dosing side effect, not the outcome). A rise
from the pre-dose rating is reported by ``outcome()`` as ``rise_from_pre_dose`` (project
default). Licence: distributed by the authors, no open licence found: treated as
licensed (**unverified**), no item text.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    ChangeFlagRule,
    Item,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

DEFINITION = ScaleDefinition(
    code="cadss",
    name="Clinician-Administered Dissociative States Scale, 23 items (CADSS)",
    version="1",
    items=tuple(Item(id=str(number), min=0, max=4) for number in range(1, 24)),
    min_total=0,
    max_total=92,
    licence="licensed",
    licence_note="Distributed by the authors; no open licence found (unverified).",
    outcome_rule=OutcomeRule(
        change_flags=(ChangeFlagRule("rise", 0, "rise_from_pre_dose", "project default"),),
        source="CADSS",
    ),
    sources=("CADSS", "Label"),
)

build = build_sum_scorer
