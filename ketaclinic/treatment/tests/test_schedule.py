"""Session calendars: opening days, closures, daylight saving, moved and missed sessions."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.treatment.domain.library import (
    ESKETAMINE_TRD,
    IV_RACEMIC_CRPS,
    IV_RACEMIC_DEPRESSION,
)
from ketaclinic.treatment.domain.protocol import Frequency, Phase
from ketaclinic.treatment.domain.schedule import (
    MISSED_SESSION_GUIDANCE,
    ClinicCalendar,
    PlannedSession,
    ScheduleError,
    SessionStatus,
    cancel_session,
    generate_calendar,
    local_instant,
    mark_missed,
    move_session,
    previous_frequency,
)

NY = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
NINE = dt.time(9, 0)
# 2026: New York springs forward on Sunday 8 March and falls back on Sunday 1 November.
MON_BEFORE_SPRING = dt.date(2026, 3, 2)


def _clinic(
    closures: frozenset[dt.date] = frozenset(), days: frozenset[int] = WEEKDAYS
) -> ClinicCalendar:
    return ClinicCalendar(tz=NY, open_weekdays=days, closures=closures)


def test_twice_weekly_induction_lands_on_monday_and_thursday() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1], start=MON_BEFORE_SPRING, clinic=_clinic(), session_time=NINE
    )
    days = [s.local_date.strftime("%a") for s in result.sessions]
    assert days == ["Mon", "Thu"] * 4
    assert result.shortfalls == ()


def test_the_trd_course_has_8_induction_4_optimisation_and_fortnightly_maintenance() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule,
        start=MON_BEFORE_SPRING,
        clinic=_clinic(),
        session_time=NINE,
        horizon_weeks=8,
    )
    phases = [s.phase_code for s in result.sessions]
    assert phases.count("induction") == 8
    assert phases.count("optimisation") == 4
    assert phases.count("maintenance") == 4  # every 2 weeks over an 8-week horizon
    maintenance = [s.local_date for s in result.sessions if s.phase_code == "maintenance"]
    assert all((b - a).days == 14 for a, b in itertools.pairwise(maintenance))
    assert [s.number for s in result.sessions] == list(range(1, 17))


def test_the_prescriber_can_choose_weekly_maintenance() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule,
        start=MON_BEFORE_SPRING,
        clinic=_clinic(),
        session_time=NINE,
        chosen_frequencies={"maintenance": Frequency(1, 1)},
        horizon_weeks=8,
    )
    assert [s.phase_code for s in result.sessions].count("maintenance") == 8


def test_a_frequency_the_phase_does_not_offer_is_refused() -> None:
    with pytest.raises(ScheduleError, match=r"chosen_frequencies\.maintenance"):
        generate_calendar(
            ESKETAMINE_TRD.schedule,
            start=MON_BEFORE_SPRING,
            clinic=_clinic(),
            session_time=NINE,
            chosen_frequencies={"maintenance": Frequency(3, 1)},
        )


def test_the_iv_course_stops_at_six_sessions() -> None:
    result = generate_calendar(
        IV_RACEMIC_DEPRESSION.schedule,
        start=MON_BEFORE_SPRING,
        clinic=_clinic(),
        session_time=NINE,
        chosen_frequencies={"acute": Frequency(3, 1)},
    )
    assert len(result.sessions) == 6
    assert result.sessions[-1].local_date - result.sessions[0].local_date < dt.timedelta(weeks=2)


def test_the_crps_course_gives_ten_weekday_sessions_over_two_weeks() -> None:
    result = generate_calendar(
        IV_RACEMIC_CRPS.schedule, start=MON_BEFORE_SPRING, clinic=_clinic(), session_time=NINE
    )
    assert len(result.sessions) == 10
    assert all(s.local_date.weekday() < 5 for s in result.sessions)


# ---------------------------------------------------------------------------------------------
# Daylight saving


def test_a_9am_session_stays_9am_local_across_the_march_change() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1], start=MON_BEFORE_SPRING, clinic=_clinic(), session_time=NINE
    )
    before, after = result.sessions[1], result.sessions[2]  # Thu 5 March, Mon 9 March
    assert before.local_date == dt.date(2026, 3, 5)
    assert after.local_date == dt.date(2026, 3, 9)
    assert before.starts_at == dt.datetime(2026, 3, 5, 14, 0, tzinfo=dt.UTC)  # EST, UTC-5
    assert after.starts_at == dt.datetime(2026, 3, 9, 13, 0, tzinfo=dt.UTC)  # EDT, UTC-4
    for s in result.sessions:
        local = s.starts_at.astimezone(NY)
        assert (local.date(), local.time()) == (s.local_date, NINE)


def test_a_9am_session_stays_9am_local_across_the_november_change() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1],
        start=dt.date(2026, 10, 26),
        clinic=_clinic(),
        session_time=NINE,
    )
    thursday, monday = result.sessions[1], result.sessions[2]
    assert thursday.starts_at == dt.datetime(2026, 10, 29, 13, 0, tzinfo=dt.UTC)  # EDT
    assert monday.starts_at == dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)  # EST
    assert all(s.starts_at.astimezone(NY).time() == NINE for s in result.sessions)


def test_a_time_in_the_spring_forward_gap_moves_forward_and_is_flagged() -> None:
    utc, wall, shifted = local_instant(dt.date(2026, 3, 8), dt.time(2, 30), NY)
    assert shifted
    assert wall == dt.time(3, 30)
    assert utc == dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)


def test_an_ambiguous_autumn_time_takes_the_first_occurrence() -> None:
    utc, wall, shifted = local_instant(dt.date(2026, 11, 1), dt.time(1, 30), NY)
    assert not shifted and wall == dt.time(1, 30)
    assert utc == dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)  # still EDT


def test_stored_instants_are_utc() -> None:
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1], start=MON_BEFORE_SPRING, clinic=_clinic(), session_time=NINE
    )
    assert all(s.starts_at.utcoffset() == dt.timedelta(0) for s in result.sessions)


def test_a_zoned_session_time_is_refused() -> None:
    with pytest.raises(ScheduleError, match="session_time"):
        local_instant(MON_BEFORE_SPRING, dt.time(9, tzinfo=dt.UTC), NY)


# ---------------------------------------------------------------------------------------------
# Opening days and closures


def test_a_closed_thursday_moves_the_session_to_friday() -> None:
    closed = dt.date(2026, 3, 5)
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1],
        start=MON_BEFORE_SPRING,
        clinic=_clinic(frozenset({closed})),
        session_time=NINE,
    )
    assert result.sessions[1].local_date == dt.date(2026, 3, 6)
    assert closed not in {s.local_date for s in result.sessions}


def test_a_closed_end_of_week_moves_the_session_earlier_keeping_two_days_apart() -> None:
    closures = frozenset({dt.date(2026, 3, 5), dt.date(2026, 3, 6)})  # Thu, Fri
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1],
        start=MON_BEFORE_SPRING,
        clinic=_clinic(closures),
        session_time=NINE,
    )
    assert result.sessions[1].local_date == dt.date(2026, 3, 4)  # Wednesday


def test_a_week_with_no_open_day_is_reported_not_silently_dropped() -> None:
    closures = frozenset(MON_BEFORE_SPRING + dt.timedelta(days=i) for i in range(7))
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1],
        start=MON_BEFORE_SPRING,
        clinic=_clinic(closures),
        session_time=NINE,
    )
    assert len(result.sessions) == 6
    (short,) = result.shortfalls
    assert (short.period_start, short.wanted, short.placed) == (MON_BEFORE_SPRING, 2, 0)


def test_a_course_starting_on_a_closed_day_begins_on_the_next_open_day() -> None:
    saturday = dt.date(2026, 3, 7)
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1], start=saturday, clinic=_clinic(), session_time=NINE
    )
    assert result.sessions[0].local_date == dt.date(2026, 3, 9)


def test_a_clinic_must_open_on_at_least_one_weekday() -> None:
    with pytest.raises(ScheduleError, match="open_weekdays"):
        ClinicCalendar(tz=NY, open_weekdays=frozenset())


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    closure_offsets=st.frozensets(st.integers(0, 200), max_size=30),
    hour=st.integers(7, 18),
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney"]),
)
def test_the_calendar_never_lands_on_a_closed_day_and_keeps_the_local_time(
    start: dt.date,
    days: frozenset[int],
    closure_offsets: frozenset[int],
    hour: int,
    zone: str,
) -> None:
    tz = ZoneInfo(zone)
    closures = frozenset(start + dt.timedelta(days=o) for o in closure_offsets)
    clinic = ClinicCalendar(tz=tz, open_weekdays=days, closures=closures)
    result = generate_calendar(
        ESKETAMINE_TRD.schedule,
        start=start,
        clinic=clinic,
        session_time=dt.time(hour),
        horizon_weeks=12,
    )
    dates = [s.local_date for s in result.sessions]
    assert all(clinic.is_open(d) for d in dates)
    assert dates == sorted(set(dates))  # strictly increasing, never two on one day
    induction = [s.local_date for s in result.sessions if s.phase_code == "induction"]
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(induction))
    for s in result.sessions:
        local = s.starts_at.astimezone(tz)
        assert local.date() == s.local_date and local.time() == dt.time(hour)
    wanted = 8 + 4 + 6  # induction, optimisation, fortnightly maintenance over 12 weeks
    assert len(result.sessions) + sum(x.wanted - x.placed for x in result.shortfalls) == wanted


@given(
    sessions=st.integers(1, 7),
    length=st.integers(1, 6),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_no_period_gets_more_sessions_than_the_schedule_asks(
    sessions: int, length: int, days: frozenset[int]
) -> None:
    phase = Phase("p", "P", Frequency(sessions, 1), length_weeks=length)
    start = dt.date(2026, 3, 2)
    result = generate_calendar(
        (phase,), start=start, clinic=ClinicCalendar(NY, days), session_time=NINE
    )
    for week in range(length):
        lo = start + dt.timedelta(weeks=week)
        in_week = [s for s in result.sessions if lo <= s.local_date < lo + dt.timedelta(weeks=1)]
        assert len(in_week) <= sessions


# ---------------------------------------------------------------------------------------------
# Moved, missed, cancelled


def _course() -> tuple[ClinicCalendar, tuple[PlannedSession, ...]]:
    clinic = _clinic(frozenset({dt.date(2026, 3, 13)}))
    result = generate_calendar(
        ESKETAMINE_TRD.schedule[:1], start=MON_BEFORE_SPRING, clinic=clinic, session_time=NINE
    )
    return clinic, result.sessions


def test_a_moved_session_keeps_its_local_time_across_the_dst_change() -> None:
    clinic, sessions = _course()
    # Session 2 (Thu 5 March, EST) moves to Tue 10 March (EDT).
    moved = move_session(
        sessions, 2, new_date=dt.date(2026, 3, 10), clinic=clinic, reason="Patient unwell"
    )
    s = next(x for x in moved if x.number == 2)
    assert s.status is SessionStatus.MOVED
    assert s.moved_from == dt.date(2026, 3, 5)
    assert s.starts_at == dt.datetime(2026, 3, 10, 13, 0, tzinfo=dt.UTC)
    assert s.reason == "Patient unwell"


def test_a_session_cannot_be_moved_to_a_closure() -> None:
    clinic, sessions = _course()
    with pytest.raises(ScheduleError, match="closure"):
        move_session(sessions, 2, new_date=dt.date(2026, 3, 13), clinic=clinic, reason="x")


def test_a_session_cannot_be_moved_to_a_closed_weekday() -> None:
    clinic, sessions = _course()
    with pytest.raises(ScheduleError, match="not an opening day"):
        move_session(sessions, 2, new_date=dt.date(2026, 3, 7), clinic=clinic, reason="x")


def test_a_session_cannot_be_moved_onto_another_session_of_the_course() -> None:
    clinic, sessions = _course()
    with pytest.raises(ScheduleError, match="another session"):
        move_session(sessions, 2, new_date=dt.date(2026, 3, 9), clinic=clinic, reason="x")


def test_moving_needs_a_reason() -> None:
    clinic, sessions = _course()
    with pytest.raises(ScheduleError, match="reason"):
        move_session(sessions, 2, new_date=dt.date(2026, 3, 10), clinic=clinic, reason=" ")


def test_marking_a_session_missed_shows_the_label_guidance() -> None:
    _, sessions = _course()
    updated, guidance = mark_missed(sessions, 3, reason="No ride home")
    assert updated[2].status is SessionStatus.MISSED
    assert guidance == MISSED_SESSION_GUIDANCE
    assert "previous dosing schedule" in guidance


def test_a_missed_session_cannot_be_moved_or_missed_again() -> None:
    clinic, sessions = _course()
    updated, _ = mark_missed(sessions, 3, reason="No ride home")
    with pytest.raises(ScheduleError, match="missed"):
        move_session(updated, 3, new_date=dt.date(2026, 3, 11), clinic=clinic, reason="x")
    with pytest.raises(ScheduleError, match="already missed"):
        mark_missed(updated, 3, reason="again")


def test_a_cancelled_session_frees_its_day_for_another() -> None:
    clinic, sessions = _course()
    updated = cancel_session(sessions, 3, reason="Prescriber paused treatment")
    assert updated[2].status is SessionStatus.CANCELLED
    moved = move_session(updated, 2, new_date=dt.date(2026, 3, 9), clinic=clinic, reason="x")
    assert any(s.number == 2 and s.local_date == dt.date(2026, 3, 9) for s in moved)


def test_an_unknown_session_number_is_refused() -> None:
    _, sessions = _course()
    with pytest.raises(ScheduleError, match="no session number 99"):
        cancel_session(sessions, 99, reason="x")


def test_after_worsening_in_maintenance_the_previous_schedule_is_weekly() -> None:
    assert previous_frequency(ESKETAMINE_TRD.schedule, "maintenance") == Frequency(1, 1)
    assert previous_frequency(ESKETAMINE_TRD.schedule, "optimisation") == Frequency(2, 1)
    assert previous_frequency(ESKETAMINE_TRD.schedule, "induction") is None
