"""Wilson 95 % intervals (pure; no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.research.stats import per_100, wilson


def test_known_values_from_the_literature() -> None:
    # Newcombe, Stat Med 17 (1998) 857, table I: 81/263 -> 0.2553-0.3662; 0/10 -> 0-0.2775.
    low, high = wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775


@given(n=st.integers(1, 5000), data=st.data())
def test_the_interval_holds_the_proportion_and_stays_in_0_1(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    low, high = wilson(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_no_sessions_is_not_zero_events_per_100() -> None:
    assert per_100(0, 0) is None
    assert per_100(3, 200) == 1.5
    with pytest.raises(ValueError, match="at least one"):
        wilson(0, 0)
