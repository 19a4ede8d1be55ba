"""The shared axis maths of the SVG charts (pure)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketaclinic.lib.svgchart import (
    LinearScale,
    nice_ceiling,
    nice_step,
    nice_ticks,
    plain_number,
    ticks,
    time_ticks,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False)
spans = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)


def _is_round(value: float) -> bool:
    """1, 2, 2.5 or 5 times a power of ten."""
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1.0, 2.0, 2.5, 5.0, 10.0))


# --- examples ---------------------------------------------------------------------------------


def test_nice_ceiling_rounds_up_to_1_2_2_5_or_5_times_a_power_of_ten() -> None:
    assert nice_ceiling(183 * 1.1) == 250.0
    assert nice_ceiling(201.3) == 250.0
    assert nice_ceiling(251) == 500.0
    assert nice_ceiling(0.37) == 0.5
    assert nice_ceiling(1000) == 1000.0
    assert nice_ceiling(1001) == 2000.0


def test_nice_ceiling_of_nothing_is_one() -> None:
    for value in (0.0, -3.0, math.nan, math.inf):
        assert nice_ceiling(value) == 1.0


def test_nice_step_gives_at_most_target_intervals() -> None:
    assert nice_step(250) == 50.0
    assert nice_step(200) == 50.0
    assert nice_step(2.5) == 0.5
    assert nice_step(1000) == 200.0
    assert nice_step(27, 6) == 5.0
    assert nice_step(12, 5) == 2.5


def test_an_integer_step_skips_fractions() -> None:
    # the scale trajectories: whole-number totals, at most six intervals
    assert nice_step(3, 6, integer=True) == 1.0
    assert nice_step(14, 6, integer=True) == 5.0  # not 2.5
    assert nice_step(140, 6, integer=True) == 25.0
    assert nice_step(80, 6, integer=True) == 20.0
    assert nice_step(108, 6, integer=True) == 20.0


def test_nice_step_refuses_an_empty_span() -> None:
    for span in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="span"):
            nice_step(span)
    with pytest.raises(ValueError, match="target"):
        nice_step(10, 0)


def test_ticks_include_the_stop_within_rounding() -> None:
    assert ticks(0.0, 240.0, 30.0) == (0, 30, 60, 90, 120, 150, 180, 210, 240)
    assert ticks(0.0, 27.0, 5.0) == (0, 5, 10, 15, 20, 25)
    assert ticks(18.0, 126.0, 20.0) == (18, 38, 58, 78, 98, 118)
    assert ticks(0.0, 0.3, 0.1)[-1] == pytest.approx(0.3)
    assert ticks(5.0, 1.0, 1.0) == ()
    with pytest.raises(ValueError, match="step"):
        ticks(0.0, 1.0, 0.0)


def test_nice_ticks_cover_the_data() -> None:
    assert nice_ticks(0, 183) == (0, 50, 100, 150, 200)
    assert nice_ticks(-7, 7) == (-10, -5, 0, 5, 10)
    assert nice_ticks(0.12, 0.93) == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert nice_ticks(5, 5) == (5.0,)
    with pytest.raises(ValueError, match="low <= high"):
        nice_ticks(2, 1)


def test_a_linear_scale_maps_the_ends_and_the_middle() -> None:
    x = LinearScale((0.0, 240.0), (64, 642))
    assert x(0) == 64 and x(240) == 642 and x(120) == 353
    y = LinearScale((0.0, 250.0), (330, 14))  # SVG y runs downwards
    assert y(0) == 330 and y(250) == 14 and y(125) == 172
    assert y(500) == -302  # no clamping: the caller decides
    with pytest.raises(ValueError, match="non-zero width"):
        LinearScale((1.0, 1.0), (0, 10))


def test_time_ticks_are_at_most_six_intervals_and_about_a_day_apart_when_short() -> None:
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert time_ticks(start, start + timedelta(days=1)) == (start, start + timedelta(days=1))
    three = time_ticks(start, start + timedelta(days=3))
    assert [t - start for t in three] == [timedelta(days=d) for d in range(4)]
    long = time_ticks(start, start + timedelta(days=60))
    assert len(long) == 7 and long[1] - long[0] == timedelta(days=10)
    assert long[-1] == start + timedelta(days=60)


def test_plain_numbers_lose_trailing_zeros() -> None:
    assert plain_number(30.0, 0) == "30"
    assert plain_number(2.50) == "2.5"
    assert plain_number(Decimal("0.500"), 3) == "0.5"
    assert plain_number(-0.01) == "0"
    assert plain_number(1200) == "1200"


# --- properties -------------------------------------------------------------------------------


@given(spans, st.integers(min_value=1, max_value=10))
def test_a_nice_step_is_round_and_the_smallest_giving_at_most_target_intervals(
    span: float, target: int
) -> None:
    step = nice_step(span, target)
    assert _is_round(step)
    assert span / step <= target * (1 + 1e-9)
    # the smallest: consecutive round numbers are at most twice apart
    assert step < 2 * (span / target) * (1 + 1e-9)


@given(st.floats(min_value=1e-6, max_value=1e9))
def test_nice_ceiling_is_round_and_at_most_twice_the_value(value: float) -> None:
    top = nice_ceiling(value)
    assert _is_round(top)
    assert value <= top * (1 + 1e-12)
    assert top <= 2 * value * (1 + 1e-9)


@given(finite, finite, st.integers(min_value=2, max_value=10))
def test_nice_ticks_cover_the_range_evenly_with_round_numbers(
    a: float, b: float, target: int
) -> None:
    low, high = min(a, b), max(a, b)
    found = nice_ticks(low, high, target)
    step = nice_step(high - low, target) if high > low else nice_step(abs(low) or 1.0, target)
    tol = 1e-6 * step
    assert found[0] <= low + tol
    assert found[-1] >= high - tol
    if len(found) > 1:
        gaps = [q - p for p, q in itertools.pairwise(found)]
        assert _is_round(step)
        assert all(math.isclose(g, step, rel_tol=1e-6) for g in gaps)
        # every tick is a whole multiple of the step (a round number on the axis)
        assert all(math.isclose(t / step, round(t / step), abs_tol=1e-6) for t in found)
        # no more than one step beyond the data on each side
        assert found[1] > low - tol and found[-2] < high + tol


@given(
    st.floats(min_value=-1e4, max_value=1e4),
    st.floats(min_value=0.05, max_value=1e4),
    st.integers(min_value=0, max_value=200),
    st.floats(min_value=0.0, max_value=0.999),
)
def test_ticks_are_evenly_spaced_from_start_to_stop(
    start: float, step: float, intervals: int, part: float
) -> None:
    stop = start + (intervals + part) * step
    found = ticks(start, stop, step)
    assert found and found[0] == start
    assert found[-1] <= stop + step * 1e-6
    assert stop - found[-1] < step * (1 + 1e-9)
    assert all(math.isclose(t, start + i * step) for i, t in enumerate(found))


@given(finite, spans, finite, finite)
def test_a_linear_scale_is_linear(d0: float, width: float, r0: float, r1: float) -> None:
    assume(width >= 1e-3 * max(1.0, abs(d0)))  # a domain wider than float cancellation
    scale = LinearScale((d0, d0 + width), (r0, r1))
    tol = 1e-6 * max(1.0, abs(r0), abs(r1))
    assert math.isclose(scale(d0), r0, abs_tol=tol)
    assert math.isclose(scale(d0 + width), r1, abs_tol=tol)
    assert math.isclose(scale(d0 + width / 2), (r0 + r1) / 2, abs_tol=tol)


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds,
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001 - and timezones= makes the values aware
        timezones=st.just(UTC),
    ),
    st.integers(min_value=0, max_value=10**9),
)
def test_time_ticks_start_and_end_on_the_axis(start: datetime, seconds: int) -> None:
    end = start + timedelta(seconds=seconds)
    found = time_ticks(start, end)
    assert found[0] == start
    assert abs((found[-1] - end).total_seconds()) < 1e-3
    assert 2 <= len(found) <= 7
    assert found == tuple(sorted(found))
