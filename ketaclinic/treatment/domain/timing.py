"""One rule for clinical times (issue 14, finding 1). Pure: no Django.

Every time a person types into a session (a reading, the dose start, a device spray, an
adverse-event onset) must lie between the session's check-in and now, and not before the step it
depends on: the dose not before the prescriber's last decision, a post-dose reading not before
the dose. Decision and discharge times are set by the server at "now" and are checked by the same
rule (so a clock moved backwards is caught too).

A small allowance for clock skew between the bedside device and the server is allowed on both
ends of the window. Its size is a project default, not a clinical fact from a source: it is a
parameter (``DEFAULT_SKEW``, overridable by the setting ``KETACLINIC_CLOCK_SKEW_MINUTES``).

Messages name the field and give the allowed window in the clinic's local time, with the
zone's abbreviation.

Calendar rules kept here too: a session moves only to a future date within its course, a
course starts no earlier than the clinic's today, a session is "missed" only once its time has
passed, and a scheduled session whose time has passed reads "not recorded".
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

#: Clock-skew allowance between a bedside clock and the server (project default; configurable).
DEFAULT_SKEW = dt.timedelta(minutes=2)

#: How far past the course's last planned session a session may be moved, so that the last
#: one can slip a few days (project default, not from a source).
COURSE_END_SLACK = dt.timedelta(days=7)


class Step(enum.Enum):
    """What the time belongs to; each step has its own lower bound."""

    PRE_DOSE_READING = "pre-dose reading"
    READING = "reading"  # before or after the dose: bounded by check-in only
    POST_DOSE_READING = "post-dose reading"
    DECISION = "decision"
    DOSE = "dose"
    ADVERSE_EVENT = "adverse event"
    DISCHARGE = "discharge"


@dataclass(frozen=True)
class SessionClock:
    """The times a session's entries are checked against (aware datetimes)."""

    now: dt.datetime
    checked_in_at: dt.datetime | None
    last_decision_at: dt.datetime | None = None
    dose_started_at: dt.datetime | None = None
    skew: dt.timedelta = DEFAULT_SKEW


def _local(when: dt.datetime, tz: dt.tzinfo, with_date: bool) -> str:
    local = when.astimezone(tz)
    fmt = "%Y-%m-%d %H:%M %Z" if with_date else "%H:%M %Z"
    return local.strftime(fmt)


def _lower_bound(step: Step, clock: SessionClock) -> tuple[dt.datetime | None, str]:
    """The earliest acceptable instant for ``step`` (before the skew allowance) and its name."""
    bounds: list[tuple[dt.datetime | None, str]] = [(clock.checked_in_at, "check-in")]
    if step is Step.DOSE:
        bounds.append((clock.last_decision_at, "the prescriber's decision"))
    if step in (Step.POST_DOSE_READING, Step.DISCHARGE):
        bounds.append((clock.dose_started_at, "the dose"))
    present = [(t, name) for t, name in bounds if t is not None]
    if not present:
        return None, ""
    return max(present, key=lambda b: b[0])


def time_problem(
    *, field: str, when: dt.datetime, step: Step, clock: SessionClock, tz: dt.tzinfo
) -> str | None:
    """None when ``when`` is acceptable for ``step``, else a message naming ``field`` (a human
    label) and the allowed window in the clinic's local time."""
    if when.tzinfo is None or when.utcoffset() is None:
        return f"{field}: give a time with its time zone."
    if clock.checked_in_at is None and step is not Step.DECISION:
        return f"{field}: check the patient in first; times are recorded from check-in."
    lower, lower_name = _lower_bound(step, clock)
    upper = clock.now
    same_day = lower is None or lower.astimezone(tz).date() == upper.astimezone(tz).date()
    show_date = not same_day or when.astimezone(tz).date() != upper.astimezone(tz).date()
    window = (
        f"between {_local(lower, tz, show_date)} ({lower_name}) and "
        f"{_local(upper, tz, show_date)} (now)"
        if lower is not None
        else f"no later than {_local(upper, tz, show_date)} (now)"
    )
    if when > upper + clock.skew:
        return f"{field}: {_local(when, tz, show_date)} is in the future; give a time {window}."
    if lower is not None and when < lower - clock.skew:
        return (
            f"{field}: {_local(when, tz, show_date)} is before {lower_name}; give a time {window}."
        )
    return None


# --------------------------------------------------------------------------------------------
# Calendar


def move_problem(
    *,
    new_start: dt.datetime,
    now: dt.datetime,
    course_start: dt.date,
    course_last: dt.date,
    tz: dt.tzinfo,
) -> str | None:
    """A session moves only to a future time within its course: not before the course's start
    date, not later than ``COURSE_END_SLACK`` after its last planned session."""
    local_date = new_start.astimezone(tz).date()
    latest = course_last + COURSE_END_SLACK
    if new_start <= now:
        return (
            f"New date: {_local(new_start, tz, True)} has passed; choose a date and time "
            f"after {_local(now, tz, True)}."
        )
    if local_date < course_start or local_date > latest:
        return (
            f"New date: {local_date.isoformat()} is outside the course; choose a date between "
            f"{max(course_start, now.astimezone(tz).date()).isoformat()} and {latest.isoformat()}."
        )
    return None


def course_start_problem(*, start: dt.date, today: dt.date) -> str | None:
    """A course starts no earlier than the clinic's today (history is imported, not enrolled)."""
    if start < today:
        return (
            f"Start date: {start.isoformat()} has passed; a course starts today "
            f"({today.isoformat()}) or later."
        )
    return None


def miss_problem(*, scheduled_at: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> str | None:
    """A session can be marked missed only once its time has passed."""
    if scheduled_at > now:
        return (
            f"This session is at {_local(scheduled_at, tz, True)}; it can be marked missed only "
            "after that time. Cancel or move it instead."
        )
    return None


#: How long after the fact a check-in time may be entered (project default, not from a source).
CHECK_IN_LOOKBACK = dt.timedelta(hours=12)


def check_in_problem(
    *, at: dt.datetime, now: dt.datetime, tz: dt.tzinfo, skew: dt.timedelta = DEFAULT_SKEW
) -> str | None:
    """A check-in time entered after the fact lies within ``CHECK_IN_LOOKBACK`` before now."""
    if at.tzinfo is None or at.utcoffset() is None:
        return "Checked in at: give a time with its time zone."
    earliest = now - CHECK_IN_LOOKBACK
    if at > now + skew or at < earliest:
        return (
            f"Checked in at: {_local(at, tz, True)} is outside the allowed window; give a time "
            f"between {_local(earliest, tz, True)} and {_local(now, tz, True)} (now)."
        )
    return None


#: How long after its time a scheduled session without check-in reads "not recorded"
#: (project default, not from a source).
OVERDUE_AFTER = dt.timedelta(hours=1)


def is_overdue(*, scheduled_at: dt.datetime, now: dt.datetime) -> bool:
    """A scheduled session whose time has passed (by ``OVERDUE_AFTER``) without check-in: shown
    as "not recorded", never as "Scheduled"."""
    return scheduled_at + OVERDUE_AFTER < now


__all__ = [
    "CHECK_IN_LOOKBACK",
    "COURSE_END_SLACK",
    "DEFAULT_SKEW",
    "OVERDUE_AFTER",
    "SessionClock",
    "Step",
    "check_in_problem",
    "course_start_problem",
    "is_overdue",
    "miss_problem",
    "move_problem",
    "time_problem",
]
