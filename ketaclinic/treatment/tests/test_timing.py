"""The one rule for clinical times (treatment/domain/timing.py), without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain import timing

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)  # 11:00 EST
CHECK_IN = NOW - dt.timedelta(minutes=60)  # 10:00 EST
DECISION = NOW - dt.timedelta(minutes=49)  # 10:11 EST
DOSE = NOW - dt.timedelta(minutes=40)  # 10:20 EST
CLOCK = timing.SessionClock(
    now=NOW, checked_in_at=CHECK_IN, last_decision_at=DECISION, dose_started_at=DOSE
)


def _problem(when: dt.datetime, step: timing.Step, field: str = "Measured at") -> str | None:
    return timing.time_problem(field=field, when=when, step=step, clock=CLOCK, tz=NY)


def test_a_reading_years_before_check_in_is_refused_naming_the_field_and_window() -> None:
    problem = _problem(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), timing.Step.READING)
    assert problem is not None
    assert problem.startswith("Measured at:")
    assert "2026-12-01 10:00 EST (check-in)" in problem
    assert "2026-12-01 11:00 EST (now)" in problem


def test_a_time_in_the_future_beyond_the_skew_is_refused() -> None:
    problem = _problem(NOW + dt.timedelta(minutes=10), timing.Step.READING)
    assert problem is not None and "in the future" in problem
    assert _problem(NOW + dt.timedelta(minutes=1), timing.Step.READING) is None


def test_a_device_sprayed_before_the_prescribers_decision_is_refused() -> None:
    problem = _problem(CHECK_IN + dt.timedelta(minutes=5), timing.Step.DOSE, "Device time")
    assert problem is not None
    assert "before the prescriber's decision" in problem
    assert "10:11 EST" in problem
    assert _problem(DECISION + dt.timedelta(minutes=1), timing.Step.DOSE) is None


def test_a_post_dose_reading_before_the_dose_is_refused() -> None:
    problem = _problem(DOSE - dt.timedelta(minutes=10), timing.Step.POST_DOSE_READING)
    assert problem is not None and "before the dose" in problem
    # The same time is a fine pre-dose reading.
    assert _problem(DOSE - dt.timedelta(minutes=10), timing.Step.READING) is None


def test_nothing_is_accepted_before_check_in_is_recorded() -> None:
    clock = timing.SessionClock(now=NOW, checked_in_at=None)
    problem = timing.time_problem(
        field="Measured at", when=NOW, step=timing.Step.READING, clock=clock, tz=NY
    )
    assert problem is not None and "check the patient in" in problem


def test_a_naive_time_is_refused() -> None:
    assert _problem(NOW.replace(tzinfo=None), timing.Step.READING) is not None


_STEPS = st.sampled_from(list(timing.Step))


@given(
    step=_STEPS,
    offset=st.integers(min_value=-10 * 24 * 60, max_value=10 * 24 * 60),
    skew=st.integers(min_value=0, max_value=10),
)
def test_a_time_is_accepted_exactly_inside_its_steps_window(
    step: timing.Step, offset: int, skew: int
) -> None:
    clock = timing.SessionClock(
        now=NOW,
        checked_in_at=CHECK_IN,
        last_decision_at=DECISION,
        dose_started_at=DOSE,
        skew=dt.timedelta(minutes=skew),
    )
    when = NOW + dt.timedelta(minutes=offset)
    lower = {
        timing.Step.DOSE: DECISION,
        timing.Step.POST_DOSE_READING: DOSE,
        timing.Step.DISCHARGE: DOSE,
    }.get(step, CHECK_IN)
    inside = lower - clock.skew <= when <= NOW + clock.skew
    problem = timing.time_problem(field="Time", when=when, step=step, clock=clock, tz=NY)
    assert (problem is None) == inside
    if problem is not None:
        assert problem.startswith("Time:") and "EST" in problem


def test_a_session_moves_only_to_a_future_date_within_its_course() -> None:
    def move(day: dt.date, hour: int = 9) -> str | None:
        return timing.move_problem(
            new_start=dt.datetime.combine(day, dt.time(hour), tzinfo=NY),
            now=NOW,
            course_start=dt.date(2026, 11, 2),
            course_last=dt.date(2027, 1, 25),
            tz=NY,
        )

    past = move(dt.date(2020, 1, 1))
    assert past is not None and past.startswith("New date:") and "has passed" in past
    assert move(dt.date(2026, 12, 1), hour=10) is not None  # earlier today
    assert move(dt.date(2026, 12, 1), hour=15) is None  # later today
    assert move(dt.date(2027, 2, 1)) is None  # within a week of the last session
    late = move(dt.date(2027, 3, 1))
    assert late is not None and "outside the course" in late and "2027-02-01" in late


def test_a_course_starts_no_earlier_than_today() -> None:
    today = dt.date(2026, 12, 1)
    problem = timing.course_start_problem(start=dt.date(2020, 1, 6), today=today)
    assert problem is not None and problem.startswith("Start date:")
    assert "2026-12-01" in problem
    assert timing.course_start_problem(start=today, today=today) is None


def test_a_session_is_missed_only_once_its_time_has_passed() -> None:
    ahead = NOW + dt.timedelta(days=17)
    problem = timing.miss_problem(scheduled_at=ahead, now=NOW, tz=NY)
    assert problem is not None and "only after that time" in problem
    assert timing.miss_problem(scheduled_at=NOW - dt.timedelta(minutes=1), now=NOW, tz=NY) is None


def test_a_check_in_entered_later_lies_in_the_last_hours_not_ahead() -> None:
    assert timing.check_in_problem(at=NOW - dt.timedelta(minutes=30), now=NOW, tz=NY) is None
    assert timing.check_in_problem(at=NOW + dt.timedelta(minutes=30), now=NOW, tz=NY) is not None
    assert timing.check_in_problem(at=NOW - dt.timedelta(days=2), now=NOW, tz=NY) is not None


def test_a_scheduled_session_long_past_reads_not_recorded() -> None:
    assert timing.is_overdue(scheduled_at=NOW - dt.timedelta(days=3), now=NOW)
    assert not timing.is_overdue(scheduled_at=NOW - dt.timedelta(minutes=10), now=NOW)
    assert not timing.is_overdue(scheduled_at=NOW + dt.timedelta(days=3), now=NOW)
