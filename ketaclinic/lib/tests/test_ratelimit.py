"""The pure parts of the database window counter (issue 15): windows and keys."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.ratelimit import counter_key, window_start

UTC = dt.UTC


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    seconds=st.sampled_from([60, 600, 3600]),
)
def test_every_moment_falls_in_the_window_starting_at_most_one_window_before(
    moment: dt.datetime, seconds: int
) -> None:
    start = window_start(moment, seconds)
    assert start <= moment.timestamp() < start + seconds
    assert start % seconds == 0
    assert window_start(moment + dt.timedelta(seconds=seconds), seconds) == start + seconds


def test_keys_are_digests_separated_by_scope() -> None:
    key = counter_key("self-report", "203.0.113.9")
    assert len(key) == 64 and "203.0.113" not in key
    assert key != counter_key("other", "203.0.113.9")
    assert key == counter_key("self-report", "203.0.113.9")
