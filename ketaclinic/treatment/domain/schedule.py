"""Session calendars from a protocol's schedule phases and the clinic's opening days.

Pure module: no Django import. Dates are the clinic's local dates; each session's instant is
computed in the clinic's time zone (zoneinfo) and stored in UTC, so a 09:00 session stays at
09:00 local across daylight-saving changes (in New York: 14:00 UTC in winter, 13:00 UTC in
summer).

Local times that do not exist (the spring-forward gap, e.g. 02:30 on the second Sunday of March
in New York) move forward by the gap (to 03:30) and are flagged. Ambiguous times (the autumn
repeat hour) take the first occurrence (``fold=0``, still daylight time).

How sessions are placed: each phase is cut into periods of ``per_weeks`` weeks from the phase's
start; in each period the ``sessions`` sessions aim at evenly spaced days (twice weekly from a
Monday aims at Monday and Thursday). Each takes the first open day on or after its target, no
sooner than ``min_days_between_sessions`` after the previous session, that still leaves room for
the period's remaining sessions; failing that, the latest such day before the target. A session
that finds no day in its period is not silently dropped: it is reported as a shortfall for a
human to resolve.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from ketaclinic.treatment.domain.protocol import Frequency, Phase

__all__ = [
    "MISSED_SESSION_GUIDANCE",
    "CalendarResult",
    "ClinicCalendar",
    "PlannedSession",
    "ScheduleError",
    "SessionStatus",
    "Shortfall",
    "cancel_session",
    "generate_calendar",
    "local_instant",
    "mark_missed",
    "move_session",
    "previous_frequency",
    "spacing_problem",
]

_UTC = dt.UTC

#: The label's missed-session guidance, as summarised in clinical.md section 2
#: [Davis's Drug Guide 2024/2025]. Shown whenever a session is marked missed.
MISSED_SESSION_GUIDANCE = (
    "Missed session: keep the current treatment schedule. If depressive symptoms have worsened, "
    "the prescriber may, per clinical judgement, return the patient to the previous dosing "
    "schedule (for example from every two weeks to weekly, or from weekly to twice weekly). "
    "[Davis's Drug Guide 2024/2025, SPRAVATO]"
)


class ScheduleError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class SessionStatus(enum.StrEnum):
    PLANNED = "planned"
    MOVED = "moved"
    MISSED = "missed"
    CANCELLED = "cancelled"
    DONE = "done"


ACTIVE_STATUSES = frozenset({SessionStatus.PLANNED, SessionStatus.MOVED})


@dataclass(frozen=True, slots=True)
class ClinicCalendar:
    """The clinic's time zone, opening weekdays (0 = Monday ... 6 = Sunday) and closed dates."""

    tz: ZoneInfo
    open_weekdays: frozenset[int]
    closures: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        if not self.open_weekdays or not self.open_weekdays <= frozenset(range(7)):
            raise ScheduleError(
                "open_weekdays",
                f"allowed: a non-empty set of 0-6, got {sorted(self.open_weekdays)}",
            )

    def is_open(self, day: dt.date) -> bool:
        return day.weekday() in self.open_weekdays and day not in self.closures


@dataclass(frozen=True, slots=True)
class PlannedSession:
    number: int  # 1-based across the whole course
    phase_code: str
    local_date: dt.date
    local_time: dt.time  # wall-clock time in the clinic (after any DST-gap shift)
    starts_at: dt.datetime  # aware, UTC
    status: SessionStatus = SessionStatus.PLANNED
    shifted_by_dst_gap: bool = False
    moved_from: dt.date | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A period in which fewer sessions could be placed than the schedule asks for."""

    phase_code: str
    period_start: dt.date
    period_end: dt.date  # inclusive
    wanted: int
    placed: int


@dataclass(frozen=True, slots=True)
class CalendarResult:
    sessions: tuple[PlannedSession, ...]
    shortfalls: tuple[Shortfall, ...]


def local_instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> tuple[dt.datetime, dt.time, bool]:
    """(UTC instant, local wall time actually used, whether it was shifted out of a DST gap)."""
    if at.tzinfo is not None:
        raise ScheduleError("session_time", "must be a local wall-clock time without a zone")
    naive = dt.datetime.combine(day, at)
    local = naive.replace(tzinfo=tz, fold=0)
    utc = local.astimezone(_UTC)
    back = utc.astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        # Nonexistent wall time: fold=0 interprets it with the offset before the gap, which is
        # the same instant as the wall time moved forward by the gap (02:30 EST = 03:30 EDT).
        return utc, back.timetz().replace(tzinfo=None), True
    return utc, at, False


def _periods(phase: Phase, freq: Frequency, horizon_weeks: int) -> int:
    weeks = phase.length_weeks if phase.length_weeks is not None else horizon_weeks
    return -(-weeks // freq.per_weeks)  # ceiling


def _fits(candidates: Sequence[dt.date], after: dt.date, gap: dt.timedelta, need: int) -> bool:
    """Whether ``need`` more sessions fit after ``after`` among ``candidates`` with ``gap``."""
    placed, last = 0, after
    for day in candidates:
        if placed == need:
            break
        if day >= last + gap:
            placed, last = placed + 1, day
    return placed >= need


def _pick_day(
    candidates: Sequence[dt.date],
    *,
    target: dt.date,
    earliest: dt.date,
    gap: dt.timedelta,
    still_needed: int,
) -> dt.date | None:
    """The open day nearest after ``target`` (else before it) that leaves room for the
    sessions still to place in the period; if none does, the earliest possible day."""
    options = [d for d in candidates if d >= earliest]
    feasible = [d for d in options if _fits(candidates, d, gap, still_needed)]
    later = [d for d in feasible if d >= target]
    if later:
        return later[0]
    if feasible:
        return feasible[-1]
    return options[0] if options else None


def generate_calendar(
    phases: Sequence[Phase],
    *,
    start: dt.date,
    clinic: ClinicCalendar,
    session_time: dt.time,
    chosen_frequencies: Mapping[str, Frequency] | None = None,
    horizon_weeks: int = 12,
) -> CalendarResult:
    """The course's sessions from ``start`` (day 1 of the first phase).

    ``chosen_frequencies`` maps a phase code to the frequency the prescriber chose among the
    phase's frequency and alternatives (TRD maintenance: weekly or every two weeks [HCP]).
    ``horizon_weeks`` bounds an open-ended last phase; the Django side extends it later.
    """
    if horizon_weeks < 1:
        raise ScheduleError("horizon_weeks", f"allowed: 1 or more, got {horizon_weeks}")
    chosen = dict(chosen_frequencies or {})
    known = {p.code for p in phases}
    for code, freq in chosen.items():
        phase = next((p for p in phases if p.code == code), None)
        if phase is None:
            raise ScheduleError(
                "chosen_frequencies", f"unknown phase {code!r}; allowed: {sorted(known)}"
            )
        if freq not in (phase.frequency, *phase.alternatives):
            raise ScheduleError(
                f"chosen_frequencies.{code}",
                f"{freq} is not among the phase's frequencies "
                f"{[phase.frequency, *phase.alternatives]}",
            )
    sessions: list[PlannedSession] = []
    shortfalls: list[Shortfall] = []
    used: set[dt.date] = set()
    phase_start = start
    last: dt.date | None = None
    for phase in phases:
        freq = chosen.get(phase.code, phase.frequency)
        period_days = 7 * freq.per_weeks
        # Never two sessions of a course on one day, whatever the phase's minimum.
        step = dt.timedelta(days=max(phase.min_days_between_sessions, 1))
        in_phase = 0
        for k in range(_periods(phase, freq, horizon_weeks)):
            ps = phase_start + dt.timedelta(days=k * period_days)
            pe = ps + dt.timedelta(days=period_days - 1)  # inclusive
            wanted = freq.sessions
            if phase.session_count is not None:
                wanted = min(wanted, phase.session_count - in_phase)
            if wanted <= 0:
                break
            placed = 0
            candidates = [
                d
                for d in (ps + dt.timedelta(days=n) for n in range(period_days))
                if clinic.is_open(d) and d not in used
            ]
            for i in range(wanted):
                target = ps + dt.timedelta(days=(i * period_days) // freq.sessions)
                earliest = ps if last is None else last + step
                day = _pick_day(
                    candidates,
                    target=target,
                    earliest=earliest,
                    gap=step,
                    still_needed=wanted - i - 1,
                )
                if day is None:
                    continue
                starts_at, wall, shifted = local_instant(day, session_time, clinic.tz)
                sessions.append(
                    PlannedSession(
                        number=len(sessions) + 1,
                        phase_code=phase.code,
                        local_date=day,
                        local_time=wall,
                        starts_at=starts_at,
                        shifted_by_dst_gap=shifted,
                    )
                )
                used.add(day)
                last = day
                placed += 1
            in_phase += placed
            if placed < wanted:
                shortfalls.append(Shortfall(phase.code, ps, pe, wanted, placed))
        weeks = phase.length_weeks if phase.length_weeks is not None else horizon_weeks
        phase_start += dt.timedelta(weeks=weeks)
    return CalendarResult(tuple(sessions), tuple(shortfalls))


# --------------------------------------------------------------------------------------------
# Changes to a calendar


def _find(sessions: Sequence[PlannedSession], number: int) -> int:
    for i, s in enumerate(sessions):
        if s.number == number:
            return i
    raise ScheduleError("number", f"no session number {number} in this course")


def _need_reason(reason: str) -> str:
    if not reason.strip():
        raise ScheduleError("reason", "a reason is required")
    return reason.strip()


def move_session(
    sessions: Sequence[PlannedSession],
    number: int,
    *,
    new_date: dt.date,
    clinic: ClinicCalendar,
    reason: str,
    new_time: dt.time | None = None,
    min_days: int = 0,
) -> tuple[PlannedSession, ...]:
    """Move one planned session to an open day; refuses closed days, double-booking and, with
    ``min_days``, a day closer than that to another session of the course."""
    why = _need_reason(reason)
    i = _find(sessions, number)
    s = sessions[i]
    if s.status not in ACTIVE_STATUSES:
        raise ScheduleError("number", f"session {number} is {s.status}; only planned ones move")
    if not clinic.is_open(new_date):
        closed = "a closure" if new_date in clinic.closures else "not an opening day"
        raise ScheduleError("new_date", f"{new_date.isoformat()} is {closed} of the clinic")
    if any(
        o.local_date == new_date and o.status in ACTIVE_STATUSES and o.number != number
        for o in sessions
    ):
        raise ScheduleError("new_date", f"another session of this course is on {new_date}")
    if min_days:
        others = [
            (o.local_date, min_days)
            for o in sessions
            if o.status in ACTIVE_STATUSES and o.number != number
        ]
        problem = spacing_problem(new_date, min_days, others)
        if problem:
            raise ScheduleError("new_date", problem)
    starts_at, wall, shifted = local_instant(new_date, new_time or s.local_time, clinic.tz)
    moved = replace(
        s,
        local_date=new_date,
        local_time=wall,
        starts_at=starts_at,
        shifted_by_dst_gap=shifted,
        status=SessionStatus.MOVED,
        moved_from=s.moved_from or s.local_date,
        reason=why,
    )
    result = list(sessions)
    result[i] = moved
    return tuple(sorted(result, key=lambda x: (x.starts_at, x.number)))


def min_days_for(phases: Sequence[Phase], phase_code: str) -> int:
    """The phase's minimum days between sessions (1 for an unknown code: never the same day)."""
    for ph in phases:
        if ph.code == phase_code:
            return ph.min_days_between_sessions
    return 1


def spacing_problem(
    candidate: dt.date, min_days: int, others: Sequence[tuple[dt.date, int]]
) -> str | None:
    """Why a session of the course may not be on ``candidate``: ``others`` are the course's
    other active (or dosed) sessions as (local date, their phase's minimum days). Two sessions
    must be at least the larger of their two minimums apart (esketamine: 2, never on
    consecutive days). None: the day keeps the spacing."""
    for day, theirs in sorted(others):
        need = max(min_days, theirs)
        gap = abs((candidate - day).days)
        if gap < need:
            return (
                f"{candidate.isoformat()} is {gap} day(s) from the session on "
                f"{day.isoformat()}; this protocol needs at least {need} days between sessions "
                "(min_days_between_sessions)"
            )
    return None


def _set_status(
    sessions: Sequence[PlannedSession], number: int, status: SessionStatus, reason: str
) -> tuple[PlannedSession, ...]:
    why = _need_reason(reason)
    i = _find(sessions, number)
    if sessions[i].status not in ACTIVE_STATUSES:
        raise ScheduleError("number", f"session {number} is already {sessions[i].status}")
    result = list(sessions)
    result[i] = replace(sessions[i], status=status, reason=why)
    return tuple(result)


def mark_missed(
    sessions: Sequence[PlannedSession], number: int, *, reason: str
) -> tuple[tuple[PlannedSession, ...], str]:
    """Mark a session missed; returns the calendar and the label guidance to show."""
    return _set_status(sessions, number, SessionStatus.MISSED, reason), MISSED_SESSION_GUIDANCE


def cancel_session(
    sessions: Sequence[PlannedSession], number: int, *, reason: str
) -> tuple[PlannedSession, ...]:
    return _set_status(sessions, number, SessionStatus.CANCELLED, reason)


def previous_frequency(phases: Sequence[Phase], current_phase_code: str) -> Frequency | None:
    """The frequency of the phase before ``current_phase_code``: what the prescriber may return
    to if symptoms worsen after a missed session [Davis's Drug Guide 2024/2025]."""
    codes = [p.code for p in phases]
    if current_phase_code not in codes:
        raise ScheduleError("phase_code", f"unknown phase; allowed: {codes}")
    i = codes.index(current_phase_code)
    return phases[i - 1].frequency if i > 0 else None
