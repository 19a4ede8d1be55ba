"""The eligibility engine: rules are data (conditions on facts, a level, a source); ``evaluate``
applies a versioned rule set to checked facts and returns every rule that fired.

Levels: ``hard`` (not eligible, never overridable), ``relative`` (not eligible unless a prescriber
overrides with a justification and an e-signature), ``precaution`` (eligible with precautions),
``off`` (a clinic does not apply this relative rule). Hard rules cannot be set to another level.
A fact a rule needs that was not assessed is a hard finding of its own: the screening is
incomplete until it is answered.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ketaclinic.screening.rules.facts import FACTS, check_facts

Outcome = Literal["eligible", "precautions", "not_eligible"]
OUTCOME_LABELS: dict[str, str] = {
    "eligible": "Eligible",
    "precautions": "Eligible with precautions",
    "not_eligible": "Not eligible",
}


class Level(enum.StrEnum):
    HARD = "hard"
    RELATIVE = "relative"
    PRECAUTION = "precaution"
    OFF = "off"


LEVEL_LABELS = {
    Level.HARD: "Hard contraindication",
    Level.RELATIVE: "Relative contraindication",
    Level.PRECAUTION: "Precaution",
    Level.OFF: "Not applied by this clinic",
}

_OPS: dict[str, Callable[[object, object], bool]] = {
    "is": operator.eq,
    "lt": operator.lt,  # type: ignore[dict-item]  # ints only, checked by the facts
    "le": operator.le,  # type: ignore[dict-item]
    "gt": operator.gt,  # type: ignore[dict-item]
    "ge": operator.ge,  # type: ignore[dict-item]
}


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    value: object

    def __post_init__(self) -> None:
        if self.fact not in FACTS:
            raise ValueError(f"unknown fact {self.fact!r} in a rule condition")
        if self.op not in _OPS:
            raise ValueError(f"unknown operator {self.op!r}")

    def holds(self, facts: Mapping[str, object]) -> bool:
        return _OPS[self.op](facts[self.fact], self.value)


@dataclass(frozen=True)
class Rule:
    rule_id: str
    level: Level
    reason: str
    source: str
    when: tuple[Condition, ...]
    match: Literal["any", "all"] = "any"
    drugs: tuple[str, ...] = ("*",)
    indications: tuple[str, ...] = ("*",)

    @property
    def needs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.fact for c in self.when))

    @property
    def configurable(self) -> bool:
        return self.level != Level.HARD

    def applies(self, drug: str, indication: str) -> bool:
        return ("*" in self.drugs or drug in self.drugs) and (
            "*" in self.indications or indication in self.indications
        )

    def fires(self, facts: Mapping[str, object]) -> bool:
        results = (c.holds(facts) for c in self.when)
        return any(results) if self.match == "any" else all(results)


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]
    # Shipped protocol code -> (drug, indication); other codes pass drug and indication.
    protocols: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.rule_id == rule_id:
                return r
        raise ValueError(f"unknown rule {rule_id!r}")

    def with_levels(self, levels: Mapping[str, str]) -> RuleSet:
        """The rule set with a clinic's levels for its relative rules. The version names each
        change, so a decision records exactly the rules it used."""
        changed: dict[str, Level] = {}
        for rule_id, value in levels.items():
            rule = self.rule(rule_id)
            level = Level(value)
            if not rule.configurable:
                raise ValueError(f"rule {rule_id!r} is a hard contraindication: not configurable")
            if level == Level.HARD:
                raise ValueError(f"rule {rule_id!r} cannot be made hard by a clinic")
            if level != rule.level:
                changed[rule_id] = level
        if not changed:
            return self
        rules = tuple(replace(r, level=changed.get(r.rule_id, r.level)) for r in self.rules)
        suffix = ",".join(f"{k}={v}" for k, v in sorted(changed.items()))
        return replace(self, version=f"{self.version}+{suffix}", rules=rules)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    hard: bool
    reason: str
    source: str
    level: str = Level.RELATIVE.value


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    findings: list[Finding]
    ruleset_version: str

    @property
    def overridable(self) -> bool:
        """Not eligible for relative reasons only: a prescriber may override."""
        return self.outcome == "not_eligible" and not any(f.hard for f in self.findings)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


def resolve_protocol(
    ruleset: RuleSet, protocol_code: str, drug: str | None, indication: str | None
) -> tuple[str, str]:
    shipped = ruleset.protocols.get(protocol_code)
    if drug is None and shipped is None:
        raise ValueError(
            f"protocol {protocol_code!r} is not a shipped protocol: pass its drug and indication"
        )
    return (
        drug if drug is not None else shipped[0],  # type: ignore[index]
        indication if indication is not None else (shipped[1] if shipped else ""),
    )


def evaluate_with(
    facts: Mapping[str, object],
    *,
    protocol_code: str,
    ruleset: RuleSet,
    drug: str | None = None,
    indication: str | None = None,
) -> Decision:
    checked = check_facts(facts)
    drug_name, indication_code = resolve_protocol(ruleset, protocol_code, drug, indication)
    findings: list[Finding] = []
    missing: dict[str, None] = {}
    for rule in ruleset.rules:
        if rule.level == Level.OFF or not rule.applies(drug_name, indication_code):
            continue
        absent = [name for name in rule.needs if checked[name] is None]
        if absent:
            missing.update(dict.fromkeys(absent))
            continue
        if rule.fires(checked):
            findings.append(
                Finding(
                    rule_id=rule.rule_id,
                    hard=rule.level == Level.HARD,
                    reason=rule.reason,
                    source=rule.source,
                    level=rule.level.value,
                )
            )
    findings += [
        Finding(
            rule_id=f"not_assessed:{name}",
            hard=True,
            reason=f"Not assessed: {FACTS[name].label}. Answer it to complete the screening.",
            source="Screening completeness (ketaclinic)",
            level=Level.HARD.value,
        )
        for name in missing
    ]
    outcome: Outcome = "eligible"
    if any(f.level in (Level.HARD, Level.RELATIVE) for f in findings):
        outcome = "not_eligible"
    elif findings:
        outcome = "precautions"
    return Decision(outcome=outcome, findings=findings, ruleset_version=ruleset.version)
