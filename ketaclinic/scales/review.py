"""Which scale flags need a clinician's review, and how urgently (pure, no Django).

The scoring library sets flags; this table says which of them become an alert in the clinic's
inbox (``alerts.Alert``), of which kind and severity. Kinds are the string values of
``alerts.models.AlertKind``. Defaults follow scales.md: PHQ-9 item 9 > 0 -> same-day review;
C-SSRS moderate or high risk -> immediate clinician task (``review_before_dosing``); MOAA/S 0 ->
loss of consciousness.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class ReviewRule(NamedTuple):
    kind: str  # an alerts.AlertKind value
    severity: str  # "critical" or "warning"
    title: str


REVIEW_FLAGS: dict[str, ReviewRule] = {
    "suicidal_ideation": ReviewRule("suicidal_ideation", "critical", "Suicidal ideation reported"),
    "suicidal_behaviour": ReviewRule("suicide_risk", "warning", "Suicidal behaviour reported"),
    "risk_high": ReviewRule("suicide_risk", "critical", "C-SSRS screen: high risk"),
    "risk_moderate": ReviewRule("suicide_risk", "warning", "C-SSRS screen: moderate risk"),
    "review_before_dosing": ReviewRule(
        "suicide_risk", "warning", "Review before dosing (C-SSRS screen)"
    ),
    "loss_of_consciousness": ReviewRule(
        "loss_of_consciousness", "critical", "MOAA/S 0: no response"
    ),
}

_RANK = {"warning": 1, "critical": 2}


def review_alerts(flags: Iterable[str]) -> list[tuple[ReviewRule, list[str]]]:
    """One alert per kind: the most severe rule of that kind among ``flags``, with the flags that
    led to it. Order: first appearance of each kind."""
    chosen: dict[str, tuple[ReviewRule, list[str]]] = {}
    for flag in flags:
        rule = REVIEW_FLAGS.get(flag)
        if rule is None:
            continue
        if rule.kind not in chosen:
            chosen[rule.kind] = (rule, [flag])
            continue
        best, raised = chosen[rule.kind]
        raised.append(flag)
        if _RANK[rule.severity] > _RANK[best.severity]:
            chosen[rule.kind] = (rule, raised)
    return list(chosen.values())
