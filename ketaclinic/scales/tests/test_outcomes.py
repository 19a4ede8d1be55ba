"""Outcome tables (pure): time points, response/remission counts and their denominators."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.scales.outcomes import (
    WEEK_TOLERANCE,
    anchored_baseline_index,
    anchored_session_value,
    outcome_table,
    session_value,
    time_point_labels,
    week_value,
)

T0 = datetime.datetime(2026, 1, 5, 14, 0, tzinfo=datetime.UTC)


def _series(*day_totals: tuple[float, float]) -> list[tuple[datetime.datetime, float]]:
    return [(T0 + datetime.timedelta(days=d), float(t)) for d, t in day_totals]


def test_the_time_points_are_sessions_2_4_6_and_weeks_1_2_4_8() -> None:
    assert time_point_labels() == (
        "Session 2",
        "Session 4",
        "Session 6",
        "Week 1",
        "Week 2",
        "Week 4",
        "Week 8",
    )


def test_session_n_is_the_nth_response_after_baseline() -> None:
    series = _series((0, 20), (2, 18), (4, 15), (7, 12))
    assert session_value(series, 2) == 15
    assert session_value(series, 4) is None


def test_week_n_is_the_closest_response_within_three_days() -> None:
    series = _series((0, 20), (5, 18), (8, 14), (13, 10), (31, 6))
    assert week_value(series, 1) == 14  # day 8 is closer to day 7 than day 5
    assert week_value(series, 2) == 10  # day 13
    assert week_value(series, 4) == 6  # day 31, within 3 days of 28
    assert week_value(series, 8) is None  # nothing near day 56
    assert week_value(_series((0, 20)), 1) is None
    tie = _series((0, 20), (6, 11), (8, 9))
    assert week_value(tie, 1) == 11  # a tie takes the earlier response


def test_a_small_clinic_by_hand() -> None:
    series = {
        "a": _series((0, 20), (3, 12), (7, 9), (10, 4)),  # session 2: 9 (response); week 1: 9
        "b": _series((0, 16), (3, 14), (7, 13)),  # session 2: 13, no response
        "c": _series((0, 18)),  # baseline only: in no denominator
    }
    (row,) = outcome_table(series, {"All patients": list(series)}, code="phq9")
    assert (row.patients, row.with_follow_up) == (3, 2)
    cells = {c.label: c for c in row.cells}
    assert (cells["Session 2"].n, cells["Session 2"].responders) == (2, 1)
    assert cells["Session 2"].remitters == 0
    assert (cells["Session 4"].n, cells["Session 4"].responders) == (0, 0)
    assert cells["Session 4"].response_percent == "—"
    assert (cells["Week 1"].n, cells["Week 1"].responders) == (2, 1)
    assert cells["Week 1"].response_percent == "50%"


def _at(day: float) -> datetime.datetime:
    return T0 + datetime.timedelta(days=day)


def test_with_treatment_sessions_the_baseline_is_the_last_score_before_the_first_dose() -> None:
    series = _series((-10, 22), (-1, 20), (2, 15), (4, 9))
    sessions = [_at(0), _at(2.5), _at(4.5)]
    assert anchored_baseline_index(series, sessions) == 1  # day -1, not day -10
    assert anchored_session_value(series, sessions, 2, 1) == 15  # taken before session 2
    assert anchored_session_value(series, sessions, 3, 1) == 9
    assert anchored_session_value(series, sessions, 4, 1) is None  # no fourth session yet
    # Before session 1 there is nothing later than the baseline.
    assert anchored_session_value(series, sessions, 1, 1) is None


def test_a_patient_whose_first_score_follows_the_first_dose_uses_that_score() -> None:
    series = _series((1, 18), (3, 8))
    assert anchored_baseline_index(series, [_at(0), _at(2)]) == 0
    assert anchored_session_value(series, [_at(0), _at(2)], 2, 0) is None  # nothing after day 1


def test_outcomes_are_anchored_on_sessions_when_a_course_gives_them() -> None:
    # Same scores; anchored, "session 2" is the score before the second dose (9 of 20: response),
    # unanchored it is simply the second score after baseline (also 9 here, from baseline 22).
    series = {"p": _series((-10, 22), (-1, 20), (2, 9), (4, 9), (6, 9))}
    anchors = {"p": [_at(0), _at(3), _at(5), _at(7), _at(9), _at(11)]}
    (anchored,) = outcome_table(series, {"g": ["p"]}, code="phq9", anchors=anchors)
    cells = {c.label: c for c in anchored.cells}
    assert (cells["Session 2"].n, cells["Session 2"].responders) == (1, 1)
    assert (cells["Session 6"].n, cells["Session 6"].responders) == (1, 1)  # last score: day 6
    # Week 1 counts from the anchored baseline (day -1): the day-6 score is within 3 days of day 6.
    assert cells["Week 1"].n == 1


def test_remission_follows_the_scale_rule() -> None:
    series = {"a": _series((0, 30), (2, 20), (4, 12)), "b": _series((0, 30), (2, 20), (4, 13))}
    (row,) = outcome_table(series, {"All": ["a", "b"]}, code="madrs")
    session2 = row.cells[0]
    assert (session2.n, session2.responders, session2.remitters) == (2, 2, 1)  # MADRS <= 12


series_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=27)),
    min_size=1,
    max_size=14,
)


def _build(raw: list[list[tuple[int, int]]]) -> dict[int, list[tuple[datetime.datetime, float]]]:
    out = {}
    for key, steps in enumerate(raw):
        day = 0
        points = []
        for gap, total in steps:
            points.append((T0 + datetime.timedelta(days=day), float(total)))
            day += gap
        out[key] = points
    return out


@settings(max_examples=150, deadline=None)
@given(raw=st.lists(series_strategy, min_size=0, max_size=25), split=st.integers(0, 25))
def test_counts_are_bounded_and_add_up_across_a_partition(raw, split) -> None:
    series = _build(raw)
    keys = list(series)
    groups = {"All": keys, "First": keys[:split], "Rest": keys[split:]}
    everyone, first, rest = outcome_table(series, groups, code="phq9")
    assert everyone.patients == len(keys)
    assert everyone.with_follow_up == sum(1 for s in series.values() if len(s) > 1)
    for whole, a, b in zip(everyone.cells, first.cells, rest.cells, strict=True):
        assert 0 <= whole.remitters <= whole.n <= everyone.with_follow_up
        assert 0 <= whole.responders <= whole.n
        assert (whole.n, whole.responders, whole.remitters) == (
            a.n + b.n,
            a.responders + b.responders,
            a.remitters + b.remitters,
        )
    for index, n in enumerate((2, 4, 6)):
        assert everyone.cells[index].n == sum(1 for s in series.values() if len(s) > n)
        expected = sum(
            1 for s in series.values() if len(s) > n and s[0][1] > 0 and s[n][1] <= s[0][1] / 2
        )
        assert everyone.cells[index].responders == expected
        assert everyone.cells[index].remitters == sum(
            1 for s in series.values() if len(s) > n and s[n][1] < 5
        )


@settings(max_examples=150, deadline=None)
@given(raw=series_strategy, week=st.sampled_from([1, 2, 4, 8]))
def test_a_week_value_is_always_within_the_tolerance(raw, week) -> None:
    (series,) = _build([raw]).values()
    value = week_value(series, week)
    target = series[0][0] + datetime.timedelta(days=7 * week)
    near = [t for t, _ in series[1:] if abs(t - target) <= WEEK_TOLERANCE]
    assert (value is None) == (not near)


def test_the_pure_modules_import_no_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ketaclinic.scales, ketaclinic.scales.outcomes, ketaclinic.scales.chart, "
        "ketaclinic.scales.review, ketaclinic.scales.text; "
        "sys.exit(1 if any(m.startswith('django') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603
