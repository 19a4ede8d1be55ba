"""Shared building blocks of the scale library: definitions, results, validation, outcomes.

Pure Python, no Django import. Every scale module (``phq9.py`` ...) declares a
:class:`ScaleDefinition` and a ``build(definition)`` function that turns it into a fast
scorer; :class:`Scale` ties the two together so that a clinic can run a *configured* copy
of a scale (other remission threshold, other alert rule, its C-SSRS risk mapping) without
touching the defaults.

Source keys in comments (``[Calc]``, ``[CamCOPS hamd.rst]`` ...) are those of
``shared/domain/scales.md``; "unverified" there means the value is a configurable default
here, never a hard-coded fact.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

Licence = Literal["free", "licensed"]
AnswerType = Literal["integer", "boolean"]
TotalKind = Literal["score", "level"]
Number = int | float

LOCAL_SYSTEM = "https://ketaclinic.org/fhir/CodeSystem/scales"


class ScaleInputError(ValueError):
    """Answers or totals that cannot be scored; the message names the item and its range."""


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True, slots=True)
class Anchor:
    """A labelled answer value (only shipped for free scales, or generic yes/no)."""

    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One scored item: its id, its own answer range, and (for free scales only) its text.

    ``asked_when`` expresses skip logic: the item is only asked when another item (by id)
    has the given answer; an unanswered item whose condition does not hold is not missing.
    """

    id: str
    min: int
    max: int
    text: str | None = None
    anchors: tuple[Anchor, ...] = ()
    loinc: str | None = None
    answer_type: AnswerType = "integer"
    asked_when: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Band:
    """A severity band; ``low`` and ``high`` are inclusive totals."""

    id: str
    low: Number
    high: Number
    label: str


@dataclass(frozen=True, slots=True)
class ItemFlagRule:
    """Flag ``flag`` when item ``item_id`` is answered with ``at_least`` or more (and, when
    ``at_most`` is set, no more than ``at_most``)."""

    item_id: str
    at_least: int
    flag: str
    source: str
    at_most: int | None = None


@dataclass(frozen=True, slots=True)
class TotalFlagRule:
    """Flag ``flag`` when the total is ``at_least`` or more."""

    at_least: Number
    flag: str
    source: str


@dataclass(frozen=True, slots=True)
class ChangeFlagRule:
    """Outcome flag on change from baseline.

    ``kind``: ``"percent_drop"`` (fall of at least ``threshold`` % of the distance to the
    scale floor), ``"point_drop"`` (fall of at least ``threshold`` points), ``"rise"`` (any
    rise above ``threshold`` points), ``"fall"`` (any fall of more than ``threshold``
    points), ``"at_or_below"`` (current total at or below ``threshold``).
    """

    kind: Literal["percent_drop", "point_drop", "rise", "fall", "at_or_below"]
    threshold: Number
    flag: str
    source: str


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """Response and remission relative to the programme baseline.

    ``response_drop_percent``: response when the total fell by at least this percentage.
    ``response_at_or_below``: response when the current total is at or below this value
    (CGI-I, which already rates change). ``response_drop_points``: response when the total
    fell by at least this many points (PCL-5: 10 points clinically meaningful [PCL]).
    ``remission_at_or_below``: remission when the current total is at or below this value.
    ``None`` means the scale has no such rule. ``indications`` are the indication codes of the
    protocols whose outcome this rule judges (``ptsd``, ``ocd``, ``anxiety``; the outcomes page
    groups by them).
    """

    response_drop_percent: float | None = None
    response_at_or_below: Number | None = None
    remission_at_or_below: Number | None = None
    change_flags: tuple[ChangeFlagRule, ...] = ()
    source: str = ""
    response_drop_points: Number | None = None
    indications: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The rule in words, as a chart's legend says it: ``response: a fall of 10 points or
        more; no remission rule``."""
        parts: list[str] = []
        if self.response_drop_points is not None:
            parts.append(f"response: a fall of {self.response_drop_points:g} points or more")
        elif self.response_drop_percent is not None:
            parts.append(f"response: a fall of {self.response_drop_percent:g} % or more")
        elif self.response_at_or_below is not None:
            parts.append(f"response at {self.response_at_or_below:g} or less")
        if self.remission_at_or_below is not None:
            parts.append(f"remission at {self.remission_at_or_below:g} or less")
        else:
            parts.append("no remission rule")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class RiskRule:
    """C-SSRS style risk rule: ``level`` applies when *all* (item id, answer) pairs hold."""

    level: str
    when: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ScaleDefinition:
    """Versioned structure and scoring rules of one scale (public metadata object)."""

    code: str
    name: str
    version: str
    items: tuple[Item, ...]
    min_total: Number
    max_total: Number
    licence: Licence
    licence_note: str
    bands: tuple[Band, ...] = ()
    loinc_total: str | None = None
    loinc_panel: str | None = None
    instructions: str | None = None
    outcome_rule: OutcomeRule = OutcomeRule()
    item_flags: tuple[ItemFlagRule, ...] = ()
    total_flags: tuple[TotalFlagRule, ...] = ()
    risk_rules: tuple[RiskRule, ...] = ()
    total_kind: TotalKind = "score"
    subscales: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {item.id: position for position, item in enumerate(self.items)}
        if len(index) != len(self.items):
            raise ValueError(f"{self.code}: duplicate item ids")
        object.__setattr__(self, "_index", MappingProxyType(index))

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def loinc(self) -> str | None:
        """The LOINC code of the total score, or None where none is confirmed."""
        return self.loinc_total

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def position(self, item_id: str) -> int:
        """Zero-based position of an item id (KeyError if unknown)."""
        return self._index[item_id]

    def item(self, item_id: str) -> Item:
        return self.items[self._index[item_id]]

    def band_for(self, total: Number | None) -> str | None:
        if total is None:
            return None
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.id
        return None


class ScaleResult(NamedTuple):
    """What ``score()`` returns. A NamedTuple: cheap to build a million times."""

    total: Number | None
    band: str | None
    subscores: dict[str, Number | None]
    flags: tuple[str, ...]


class OutcomeResult(NamedTuple):
    """What ``outcome()`` returns; ``percent_change`` is negative when the score fell."""

    percent_change: float | None
    response: bool
    remission: bool
    flags: tuple[str, ...]
    absolute_change: Number


Scorer = Callable[[Sequence[Any]], ScaleResult]
Builder = Callable[[ScaleDefinition], Scorer]


# --------------------------------------------------------------------------- validation

INCOMPLETE = "incomplete"
_INT_ONLY = frozenset({int})


def _describe(value: object) -> str:
    return repr(value) if not isinstance(value, str) else f"the text {value!r}"


def _item_error(defn: ScaleDefinition, position: int, value: object) -> ScaleInputError:
    item = defn.items[position]
    allowed = f"allowed integers {item.min}-{item.max}"
    if item.answer_type == "boolean":
        allowed += " (0 = no, 1 = yes)"
    if type(value) is not int:
        return ScaleInputError(
            f"{defn.code} item {item.id}: {_describe(value)} is not an integer; {allowed}, "
            "or None when not answered"
        )
    return ScaleInputError(
        f"{defn.code} item {item.id}: {value} is outside the allowed range; {allowed}"
    )


def _count_error(defn: ScaleDefinition, got: int) -> ScaleInputError:
    ranges = {(i.min, i.max) for i in defn.items}
    if len(ranges) == 1:
        ((low, high),) = ranges
        allowed = f"each an integer {low}-{high} or None"
    else:
        allowed = "allowed ranges " + ", ".join(f"item {i.id}: {i.min}-{i.max}" for i in defn.items)
    first, last = defn.items[0].id, defn.items[-1].id
    return ScaleInputError(
        f"{defn.code} expects {defn.item_count} answers, items {first} to {last} in order "
        f"({allowed}); got {got}"
    )


def _as_sequence(defn: ScaleDefinition, answers: object) -> Sequence[Any]:
    """Accept any non-text, non-mapping sequence; refuse the rest with a clear message."""
    if isinstance(answers, str | bytes | bytearray | Mapping) or not isinstance(answers, Sequence):
        raise ScaleInputError(
            f"{defn.code} answers must be a list or tuple of {defn.item_count} answers in item "
            f"order, not {type(answers).__name__}"
        )
    return answers


def make_checker(defn: ScaleDefinition) -> Callable[[Sequence[Any]], tuple[Sequence[Any], bool]]:
    """Build a validator for ``defn``: returns (answers as a sequence, complete?) or raises.

    Precomputes ranges once. For scales whose items share one range (PHQ-9 ...), the
    common case is two C-level passes: a frozenset superset test for the values and one
    for their exact types (``bool`` and ``float`` are refused, even 2.0).
    """
    n = len(defn.items)
    ranges = tuple((item.min, item.max) for item in defn.items)
    conditions = tuple(
        None if item.asked_when is None else (defn.position(item.asked_when[0]), item.asked_when[1])
        for item in defn.items
    )
    has_conditions = any(c is not None for c in conditions)

    def slow(answers: Sequence[Any]) -> tuple[Sequence[Any], bool]:
        complete = True
        for position, value in enumerate(answers):
            if value is None:
                condition = conditions[position]
                if condition is not None and answers[condition[0]] != condition[1]:
                    continue  # not asked, so not missing
                complete = False
                continue
            low, high = ranges[position]
            if type(value) is not int or value < low or value > high:
                raise _item_error(defn, position, value)
            condition = conditions[position]
            if condition is not None and answers[condition[0]] != condition[1]:
                # Skip logic: an item asked only after a given answer cannot have been answered
                # without it (C-SSRS screener: items 3-5 only after a "yes" to item 2).
                item, gate = defn.items[position], defn.items[condition[0]]
                words = {0: "no", 1: "yes"} if gate.answer_type == "boolean" else {}
                given = answers[condition[0]]
                said = "not answered" if given is None else words.get(given, str(given))
                raise ScaleInputError(
                    f"{defn.code} item {item.id}: asked only after the answer "
                    f"{words.get(condition[1], condition[1])} to item {gate.id}, but item "
                    f"{gate.id} is {said}; leave item {item.id} empty"
                )
        return answers, complete

    uniform = len(set(ranges)) == 1 and not has_conditions
    if uniform:
        allowed = frozenset(range(ranges[0][0], ranges[0][1] + 1))

        def check(answers: Sequence[Any]) -> tuple[Sequence[Any], bool]:
            cls = type(answers)
            if cls is not list and cls is not tuple:
                answers = _as_sequence(defn, answers)
            if len(answers) != n:
                raise _count_error(defn, len(answers))
            if allowed.issuperset(answers) and _INT_ONLY.issuperset(map(type, answers)):
                return answers, True
            return slow(answers)

        return check

    def check_mixed(answers: Sequence[Any]) -> tuple[Sequence[Any], bool]:
        cls = type(answers)
        if cls is not list and cls is not tuple:
            answers = _as_sequence(defn, answers)
        if len(answers) != n:
            raise _count_error(defn, len(answers))
        return slow(answers)

    return check_mixed


def band_table(defn: ScaleDefinition) -> tuple[str | None, ...]:
    """Band id for every integer total from 0 to max_total (index = total)."""
    top = int(defn.max_total)
    return tuple(defn.band_for(total) for total in range(top + 1))


ItemCheck = tuple[int, int, int, str]


def item_flag_checks(defn: ScaleDefinition) -> tuple[ItemCheck, ...]:
    """(position, at_least, at_most, flag) for each item flag rule, precomputed."""
    return tuple(
        (
            defn.position(rule.item_id),
            rule.at_least,
            defn.item(rule.item_id).max if rule.at_most is None else rule.at_most,
            rule.flag,
        )
        for rule in defn.item_flags
    )


def item_flags_raised(answers: Sequence[Any], item_checks: tuple[ItemCheck, ...]) -> list[str]:
    """Flags of the item rules that hold, each once, in rule order."""
    flags: list[str] = []
    for position, at_least, at_most, flag in item_checks:
        value = answers[position]
        if value is not None and at_least <= value <= at_most and flag not in flags:
            flags.append(flag)
    return flags


def apply_flags(
    answers: Sequence[Any],
    total: Number | None,
    item_checks: tuple[ItemCheck, ...],
    total_flags: tuple[TotalFlagRule, ...],
    complete: bool,
) -> tuple[str, ...]:
    """Flags from item rules (even when incomplete: a safety signal is never hidden), total
    rules, and ``incomplete``. Each flag appears once, in rule order."""
    flags = item_flags_raised(answers, item_checks)
    if total is not None:
        for rule in total_flags:
            if total >= rule.at_least and rule.flag not in flags:
                flags.append(rule.flag)
    if not complete:
        flags.append(INCOMPLETE)
    return tuple(flags)


def sum_or_none(answers: Sequence[Any], positions: Sequence[int]) -> int | None:
    """Sum of the items at ``positions``, or None if any of them is unanswered."""
    total = 0
    for position in positions:
        value = answers[position]
        if value is None:
            return None
        total += value
    return total


def mean_or_none(answers: Sequence[Any], positions: Sequence[int]) -> float | None:
    """Mean of the items at ``positions``, or None if any of them is unanswered."""
    total = sum_or_none(answers, positions)
    return None if total is None else total / len(positions)


def build_sum_scorer(defn: ScaleDefinition) -> Scorer:
    """Scorer for scales whose total is the plain sum of their items (most of them).

    Fast path (benchmarked at 1M PHQ-9 calls): a list or tuple of the right length whose
    values all lie in the one shared item range and are all exact ints is summed at once;
    flags are then checked from precomputed tuples. Anything else takes the general path,
    which finds missing items and raises the precise error.
    """
    check = make_checker(defn)
    bands = band_table(defn)
    item_checks = item_flag_checks(defn)
    total_flags = defn.total_flags
    n = len(defn.items)
    ranges = {(item.min, item.max) for item in defn.items}
    uniform = len(ranges) == 1 and all(item.asked_when is None for item in defn.items)
    low, high = min(ranges)
    allowed = frozenset(range(low, high + 1)) if uniform else frozenset()
    fast_items = tuple((p, lo, hi, (flag,)) for p, lo, hi, flag in item_checks)
    fast_totals = tuple((rule.at_least, (rule.flag,)) for rule in total_flags)
    int_only = _INT_ONLY
    new = tuple.__new__  # building the NamedTuple directly skips its Python-level __new__

    def complete_flags(answers: Sequence[Any], total: int) -> tuple[str, ...]:
        flags: tuple[str, ...] = ()
        for position, at_least, at_most, flag in fast_items:
            if at_least <= answers[position] <= at_most and flag[0] not in flags:
                flags += flag
        for at_least_total, flag in fast_totals:
            if total >= at_least_total and flag[0] not in flags:
                flags += flag
        return flags

    def score(answers: Sequence[Any]) -> ScaleResult:
        cls = type(answers)
        if (
            uniform
            and (cls is list or cls is tuple)
            and len(answers) == n
            and allowed.issuperset(answers)
            and int_only.issuperset(map(type, answers))
        ):
            total = sum(answers)
            return new(ScaleResult, (total, bands[total], {}, complete_flags(answers, total)))
        answers, complete = check(answers)
        if complete:
            total = sum(answers)
            return ScaleResult(total, bands[total], {}, complete_flags(answers, total))
        return ScaleResult(
            None, None, {}, apply_flags(answers, None, item_checks, total_flags, False)
        )

    return score


# --------------------------------------------------------------------------- outcome


def _check_total(defn: ScaleDefinition, name: str, value: object) -> Number:
    if type(value) is not int and type(value) is not float:
        raise ScaleInputError(
            f"{defn.code} {name} must be a number from {defn.min_total} to {defn.max_total}, "
            f"not {_describe(value)}"
        )
    if not math.isfinite(value) or not defn.min_total <= value <= defn.max_total:
        raise ScaleInputError(
            f"{defn.code} {name} {value} is outside the scale's range "
            f"{defn.min_total}-{defn.max_total}"
        )
    return value


def compute_outcome(
    defn: ScaleDefinition, baseline_total: object, current_total: object
) -> OutcomeResult:
    """Percent change from baseline, response and remission by the definition's rule.

    The percentage is taken of the distance between the baseline and the scale's floor
    (``min_total``), so that 100 % means "down to the lowest possible score" also on scales
    whose floor is not 0 (BPRS 18, CGI 1). For the many 0-based scales this is the plain
    ``(current - baseline) / baseline``. A baseline at the floor gives ``None``.
    """
    baseline = _check_total(defn, "baseline_total", baseline_total)
    current = _check_total(defn, "current_total", current_total)
    rule = defn.outcome_rule
    distance = baseline - defn.min_total
    change = current - baseline
    percent = None if distance == 0 else change / distance * 100.0
    drop_percent = 0.0 if percent is None else -percent
    response = False
    if rule.response_drop_percent is not None and percent is not None:
        response = drop_percent >= rule.response_drop_percent
    if rule.response_drop_points is not None:
        response = -change >= rule.response_drop_points
    if rule.response_at_or_below is not None:
        response = current <= rule.response_at_or_below
    remission = rule.remission_at_or_below is not None and current <= rule.remission_at_or_below
    flags: list[str] = []
    for flag_rule in rule.change_flags:
        kind, threshold = flag_rule.kind, flag_rule.threshold
        hit = (
            (kind == "percent_drop" and percent is not None and drop_percent >= threshold)
            or (kind == "point_drop" and -change >= threshold)
            or (kind == "rise" and change > threshold)
            or (kind == "fall" and -change > threshold)
            or (kind == "at_or_below" and current <= threshold)
        )
        if hit and flag_rule.flag not in flags:
            flags.append(flag_rule.flag)
    return OutcomeResult(percent, response, remission, tuple(flags), change)


# --------------------------------------------------------------------------- scale


@dataclass(frozen=True)
class Scale:
    """A definition plus its compiled scorer. ``configured()`` gives a clinic's variant."""

    definition: ScaleDefinition
    builder: Builder
    score: Scorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", self.builder(self.definition))

    @property
    def code(self) -> str:
        return self.definition.code

    def outcome(self, baseline_total: object, current_total: object) -> OutcomeResult:
        return compute_outcome(self.definition, baseline_total, current_total)

    def configured(self, **changes: Any) -> Scale:
        """A copy with some definition fields replaced, e.g. ``outcome_rule=OutcomeRule(...)``,
        ``item_flags=(...)`` or (C-SSRS) ``risk_rules=(...)``; its scorer is rebuilt."""
        return Scale(dataclasses.replace(self.definition, **changes), self.builder)
