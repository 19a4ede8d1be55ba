"""Eligibility rules, pure (no Django): ``evaluate(facts, protocol_code=...)`` and ``FACTS``.

from ketaclinic.screening import rules
decision = rules.evaluate({"age_years": 40, ...}, protocol_code="esketamine_trd")
decision.outcome  # "eligible" | "precautions" | "not_eligible"
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaclinic.screening.rules.engine import (
    LEVEL_LABELS,
    OUTCOME_LABELS,
    Condition,
    Decision,
    Finding,
    Level,
    Rule,
    RuleSet,
    evaluate_with,
)
from ketaclinic.screening.rules.facts import FACTS, HEPATIC_GRADES, Fact, check_facts
from ketaclinic.screening.rules.ruleset import DEFAULT_RULESET, VERSION


def evaluate(
    facts: Mapping[str, object],
    *,
    protocol_code: str,
    ruleset: RuleSet | None = None,
    drug: str | None = None,
    indication: str | None = None,
) -> Decision:
    """Apply ``ruleset`` (default: the shipped one) to ``facts`` for a protocol. A protocol that
    is not shipped needs ``drug`` ("esketamine" | "racemic_ketamine") and ``indication``."""
    return evaluate_with(
        facts,
        protocol_code=protocol_code,
        ruleset=ruleset or DEFAULT_RULESET,
        drug=drug,
        indication=indication,
    )


__all__ = [
    "DEFAULT_RULESET",
    "FACTS",
    "HEPATIC_GRADES",
    "LEVEL_LABELS",
    "OUTCOME_LABELS",
    "VERSION",
    "Condition",
    "Decision",
    "Fact",
    "Finding",
    "Level",
    "Rule",
    "RuleSet",
    "check_facts",
    "evaluate",
]
