"""C-SSRS screener: Columbia-Suicide Severity Rating Scale, screen version (licensed).

Structure [CSSRS]: 6 yes/no items plus a "past 3 months" question on behaviour (here item
``6b``, only asked when item 6 is yes). Answers: 0 = no, 1 = yes. Items 3-5 are only asked
when item 2 is yes (screener skip logic); an item that was not asked is not missing.

Output: a risk level. The ``total`` is the level as an ordinal (0 none, 1 low, 2 moderate,
3 high); ``band`` is its id, and the flag ``risk_<level>`` is set.

**Unverified (scales.md):** the item-to-level mapping belongs to the licensed version and
must be loaded as configuration. ``DEFAULT_RISK_RULES`` below is the widely circulated
triage colouring of the screener (low: wish to be dead or non-specific thoughts; moderate:
thoughts with method, or behaviour more than 3 months ago; high: intent, plan, or behaviour
within 3 months). A clinic replaces it with its licensed mapping through
``Scale.configured(risk_rules=...)``. The highest level among matching rules wins.

Alert (*default*, scales.md): moderate or high risk -> immediate clinician task and block
dosing until reviewed: flag ``review_before_dosing``. Any yes on items 1-5 flags
``suicidal_ideation``; a yes on item 6 flags ``suicidal_behaviour`` (project defaults).

LOINC [CSSRS]: items 93246-7, 93247-5, 93248-3, 93249-1, 93250-9, 93267-3, 93269-9 (assigned
to items 1, 2, 3, 4, 5, 6, 6b in the order scales.md lists them: **verify the pairing**
against the HL7 BH IG example before relying on it); risk level 93374-7.
Licence: Research Foundation for Mental Hygiene; electronic use licensed via Clario: no
item text ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ketaclinic.scales.scoring.base import (
    INCOMPLETE,
    Anchor,
    Band,
    Item,
    ItemFlagRule,
    RiskRule,
    ScaleDefinition,
    ScaleResult,
    Scorer,
    item_flag_checks,
    item_flags_raised,
    make_checker,
)

LEVELS = ("none", "low", "moderate", "high")
REVIEW_LEVELS = frozenset({"moderate", "high"})  # scales.md alert default

DEFAULT_RISK_RULES = (  # UNVERIFIED mapping: configurable, see module docstring
    RiskRule("high", (("4", 1),)),
    RiskRule("high", (("5", 1),)),
    RiskRule("high", (("6", 1), ("6b", 1))),
    RiskRule("moderate", (("3", 1),)),
    RiskRule("moderate", (("6", 1), ("6b", 0))),
    RiskRule("low", (("1", 1),)),
    RiskRule("low", (("2", 1),)),
)

_YES_NO = (Anchor(0, "No"), Anchor(1, "Yes"))
_LOINC = ("93246-7", "93247-5", "93248-3", "93249-1", "93250-9", "93267-3", "93269-9")
_IDS = ("1", "2", "3", "4", "5", "6", "6b")
_ASKED_WHEN: dict[str, tuple[str, int]] = {"3": ("2", 1), "4": ("2", 1), "5": ("2", 1)}
_ASKED_WHEN["6b"] = ("6", 1)

DEFINITION = ScaleDefinition(
    code="cssrs_screener",
    name="Columbia-Suicide Severity Rating Scale, screener (C-SSRS)",
    version="1",
    items=tuple(
        Item(
            id=item_id,
            min=0,
            max=1,
            anchors=_YES_NO,
            loinc=loinc,
            answer_type="boolean",
            asked_when=_ASKED_WHEN.get(item_id),
        )
        for item_id, loinc in zip(_IDS, _LOINC, strict=True)
    ),
    min_total=0,
    max_total=3,
    licence="licensed",
    licence_note="Research Foundation for Mental Hygiene; electronic versions licensed via "
    "Clario (certification per version, language and platform).",
    bands=tuple(Band(level, n, n, level.capitalize()) for n, level in enumerate(LEVELS)),
    loinc_total="93374-7",  # risk level [CSSRS]
    item_flags=(
        *(
            ItemFlagRule(item_id, 1, "suicidal_ideation", "project default")
            for item_id in ("1", "2", "3", "4", "5")
        ),
        ItemFlagRule("6", 1, "suicidal_behaviour", "project default"),
    ),
    risk_rules=DEFAULT_RISK_RULES,
    total_kind="level",
    sources=("CSSRS",),
    notes=(
        "Risk mapping is an unverified default; load the licensed mapping as configuration.",
        "Item LOINC pairing follows the order of scales.md; verify.",
    ),
)


def build(defn: ScaleDefinition) -> Scorer:
    check = make_checker(defn)
    item_checks = item_flag_checks(defn)
    rank = {level: n for n, level in enumerate(LEVELS)}
    for rule in defn.risk_rules:
        if rule.level not in rank:
            raise ValueError(f"cssrs_screener: unknown risk level {rule.level!r}")
    rules = tuple(
        (rank[rule.level], tuple((defn.position(i), v) for i, v in rule.when))
        for rule in defn.risk_rules
    )

    def score(answers: Sequence[Any]) -> ScaleResult:
        answers, complete = check(answers)
        # Highest level whose conditions hold on the answers given. When incomplete this is
        # a lower bound: a risk already shown is flagged, but no total is given.
        level = 0
        for rule_level, conditions in rules:
            if rule_level > level and all(answers[p] == v for p, v in conditions):
                level = rule_level
        flags = item_flags_raised(answers, item_checks)
        name = LEVELS[level]
        if level or complete:
            flags.append(f"risk_{name}")
        if name in REVIEW_LEVELS:
            flags.append("review_before_dosing")
        if complete:
            return ScaleResult(level, name, {}, tuple(flags))
        flags.append(INCOMPLETE)
        return ScaleResult(None, None, {}, tuple(flags))

    return score
