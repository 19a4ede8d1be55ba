"""Clinic outcome tables: response and remission rates at fixed time points (pure, no Django).

Input is, for one scale, each patient's series of ``(effective_at, total)`` in time order (the
selector ``scales.selectors.clinic_outcome_series`` reads it), and a grouping: a mapping from a group
label to the patient keys in that group. The scales app passes ``{"All patients": every patient}``;
the treatment app can pass groups per (indication, protocol) from its courses.

Definitions. A patient may come with *anchors*: the start times of their dosed treatment sessions
(from the treatment app's courses). Then:

- **Baseline** is the last response on or before the first session (the pre-treatment score); when
  there is none, the first response.
- **Session N** is the last response on or before the start of session N (the scale taken before
  that session's dose), later than the baseline.

Without anchors (scale responses outside any course):

- **Baseline** is the patient's first scored response on that scale.
- **Session N** is the N-th response after the baseline (a response is taken before each session,
  so the N-th follow-up response stands for session N).

In both cases:

- **Week N** is the response closest in time to ``baseline + 7 * N days``, within
  ``WEEK_TOLERANCE`` (3 days) either side; on a tie the earlier response is used.
- A patient counts in a time point's **denominator** only when they have both a baseline and a
  response for that time point. Response and remission follow the scale's rule
  (``ketaclinic.scales.outcome``: response = a fall of 50 % or more, remission = the scale's
  threshold, e.g. PHQ-9 below 5).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TypeVar

from ketaclinic.scales.scoring.registry import get_scale

SESSION_POINTS = (2, 4, 6)
WEEK_POINTS = (1, 2, 4, 8)
WEEK_TOLERANCE = timedelta(days=3)

Point = tuple[datetime, float]
K = TypeVar("K", bound=Hashable)
Outcome = tuple[bool, bool]  # (responded, remitted)


@dataclass(frozen=True, slots=True)
class Cell:
    """One time point of one group: ``n`` patients with a baseline and a value there."""

    label: str
    n: int
    responders: int
    remitters: int

    @property
    def response_rate(self) -> float | None:
        return None if self.n == 0 else self.responders / self.n

    @property
    def remission_rate(self) -> float | None:
        return None if self.n == 0 else self.remitters / self.n

    @property
    def response_percent(self) -> str:
        rate = self.response_rate
        return "—" if rate is None else f"{rate * 100:.0f}%"

    @property
    def remission_percent(self) -> str:
        rate = self.remission_rate
        return "—" if rate is None else f"{rate * 100:.0f}%"


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: str
    patients: int  # patients in the group with a baseline on this scale
    with_follow_up: int  # of those, patients with at least one later response
    cells: tuple[Cell, ...]


def session_value(series: Sequence[Point], n: int) -> float | None:
    """The total at session ``n``: the n-th response after the baseline, if there is one."""
    return series[n][1] if len(series) > n else None


def anchored_baseline_index(series: Sequence[Point], sessions: Sequence[datetime]) -> int:
    """Index of the baseline: the last response at or before the first session, else the first."""
    if not sessions:
        return 0
    times = [t for t, _ in series]
    return max(bisect.bisect_right(times, sessions[0]) - 1, 0)


def anchored_session_value(
    series: Sequence[Point], sessions: Sequence[datetime], n: int, baseline_index: int
) -> float | None:
    """The total taken before session ``n`` (1-based): the last response on or before its start,
    later than the baseline."""
    if len(sessions) < n:
        return None
    times = [t for t, _ in series]
    i = bisect.bisect_right(times, sessions[n - 1]) - 1
    return series[i][1] if i > baseline_index else None


def week_value(
    series: Sequence[Point], week: int, times: Sequence[datetime] | None = None
) -> float | None:
    """The total closest to ``baseline + 7 * week`` days, within ``WEEK_TOLERANCE``."""
    if len(series) < 2:
        return None
    if times is None:
        times = [t for t, _ in series]
    target = times[0] + timedelta(days=7 * week)
    i = bisect.bisect_left(times, target - WEEK_TOLERANCE, lo=1)
    best: tuple[timedelta, int] | None = None
    while i < len(times) and times[i] <= target + WEEK_TOLERANCE:
        distance = abs(times[i] - target)
        if best is None or distance < best[0]:
            best = (distance, i)
        i += 1
    return None if best is None else series[best[1]][1]


def time_point_labels() -> tuple[str, ...]:
    return (*(f"Session {n}" for n in SESSION_POINTS), *(f"Week {n}" for n in WEEK_POINTS))


def outcome_table(
    series: Mapping[K, Sequence[Point]],
    groups: Mapping[str, Iterable[K]],
    *,
    code: str,
    anchors: Mapping[K, Sequence[datetime]] | None = None,
) -> list[GroupRow]:
    """Rows of response/remission counts per group and time point, with their denominators.

    ``series``: patient key -> time-ordered (effective_at, total) of scale ``code``.
    ``groups``: group label -> patient keys (a patient may be in several groups, or none).
    ``anchors``: patient key -> time-ordered start times of dosed treatment sessions (optional).
    """
    scale = get_scale(code)
    labels = time_point_labels()
    # Per patient once: (responded, remitted) at each time point, or None when there is no value.
    results: dict[K, tuple[Outcome | None, ...]] = {}
    for key, points in series.items():
        if not points:
            continue
        sessions = (anchors or {}).get(key) or ()
        start = anchored_baseline_index(points, sessions)
        baseline = points[start][1]
        if sessions:
            values = [anchored_session_value(points, sessions, n, start) for n in SESSION_POINTS]
        else:
            values = [session_value(points, n) for n in SESSION_POINTS]
        from_baseline = points[start:]
        times = [t for t, _ in from_baseline]
        values += [week_value(from_baseline, w, times) for w in WEEK_POINTS]
        row: list[Outcome | None] = []
        for value in values:
            if value is None:
                row.append(None)
                continue
            result = scale.outcome(baseline, value)
            row.append((result.response, result.remission))
        results[key] = tuple(row)
    table: list[GroupRow] = []
    for group, members in groups.items():
        keys = [k for k in dict.fromkeys(members) if k in results]
        cells = []
        for index, label in enumerate(labels):
            n = responders = remitters = 0
            for key in keys:
                found = results[key][index]
                if found is None:
                    continue
                n += 1
                responders += found[0]
                remitters += found[1]
            cells.append(Cell(label, n, responders, remitters))
        follow_up = sum(1 for k in keys if len(series[k]) > 1)
        table.append(GroupRow(group, len(keys), follow_up, tuple(cells)))
    return table


def rule_text(code: str) -> str:
    """The scale's own response and remission rule in words, read from its definition (the rules
    and their sources live in ``scales/scoring``; a rule marked unverified there is configurable)."""
    definition = get_scale(code).definition
    rule = definition.outcome_rule
    parts: list[str] = []
    if rule.response_at_or_below is not None:
        parts.append(f"response: a rating of {rule.response_at_or_below:g} or less")
    elif rule.response_drop_percent is not None:
        parts.append(f"response: a fall of {rule.response_drop_percent:g}% or more from baseline")
    else:
        parts.append("no response rule")
    if rule.remission_at_or_below is not None:
        parts.append(f"remission: a total of {rule.remission_at_or_below:g} or less")
    else:
        parts.append("no remission threshold (remission is not counted)")
    text = "; ".join(parts)
    text = text[0].upper() + text[1:]
    return f"{text} (source: {rule.source})." if rule.source else f"{text}."


def first_time(points: Sequence[Point], sessions: Sequence[datetime] | None) -> datetime | None:
    """When a patient's treatment started, for the period filter: their first dosed session, or
    without sessions their first response."""
    if sessions:
        return sessions[0]
    return points[0][0] if points else None


def started_in_period(
    series: Mapping[K, Sequence[Point]],
    anchors: Mapping[K, Sequence[datetime]],
    start: date | None,
    end: date | None,
    tz: tzinfo,
) -> set[K]:
    """The patients whose treatment started (``first_time``, as a date in ``tz``) within
    ``start``..``end`` inclusive; an open end is unbounded. The outcomes page's period filter:
    a cohort by start, so each patient's later time points still count."""
    chosen: set[K] = set()
    for key, points in series.items():
        first = first_time(points, anchors.get(key))
        if first is None:
            continue
        day = first.astimezone(tz).date()
        if (start is None or day >= start) and (end is None or day <= end):
            chosen.add(key)
    return chosen
