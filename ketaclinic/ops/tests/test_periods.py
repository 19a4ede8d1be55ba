"""Period keys and report windows, for every input (hypothesis): the scheduler's exactly-once
rests on equal keys within a period and different keys across periods."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.audit.report import MAX_SINCE, SinceError, parse_since
from ketaclinic.ops.registry import period_key

ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30))]
)
# hypothesis takes naive bounds; timezones= makes every generated value aware.
MOMENTS = st.datetimes(
    min_value=dt.datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2040, 1, 1),  # noqa: DTZ001
    timezones=ZONES,
)


@given(MOMENTS, st.integers(min_value=0, max_value=3 * 86400))
def test_two_moments_share_a_key_exactly_when_they_share_the_utc_hour_or_day(
    a: dt.datetime, seconds: int
) -> None:
    b = a + dt.timedelta(seconds=seconds)
    ua, ub = a.astimezone(dt.UTC), b.astimezone(dt.UTC)
    same_hour = ua.replace(minute=0, second=0, microsecond=0) == ub.replace(
        minute=0, second=0, microsecond=0
    )
    assert (period_key("hour", a) == period_key("hour", b)) == same_hour
    assert (period_key("day", a) == period_key("day", b)) == (ua.date() == ub.date())
    assert period_key("hour", a) <= period_key("hour", b)  # keys sort in time order


@given(st.integers(min_value=0, max_value=20000), st.sampled_from(["h", "d"]))
def test_a_period_is_accepted_exactly_within_1h_to_366d(amount: int, unit: str) -> None:
    delta = dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(days=amount)
    within = dt.timedelta(hours=1) <= delta <= MAX_SINCE and amount < 10_000
    try:
        assert parse_since(f"{amount}{unit}") == delta
        accepted = True
    except SinceError:
        accepted = False
    assert accepted == within
