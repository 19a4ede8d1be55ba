"""When the chair board's rows change by the clock alone (issue 15).

Pure module: no Django import. The board's rows depend on the time in these ways, and only these
(``selectors.board``, ``selectors.timeline.derived_phase`` and ``phase_label``,
``monitoring.timeline`` and ``next_due``):

* the local day: the board shows the sessions of the clinic's day, so it changes at the next local
  midnight (``day_end``);
* a scheduled session without check-in reads "Not recorded" once ``timing.OVERDUE_AFTER`` has
  passed after its time;
* a dosing session's phase moves from dosing to monitoring when the infusion (or the last device)
  ends, and to ready for discharge when the minimum observation time is reached;
* a monitoring item that is not done moves from pending to due ``early_minutes`` before its
  minute, and from due to overdue ``overdue_after_minutes`` after it.

``next_change`` returns the earliest of these instants after ``now``: rendering the board at any
instant before it gives the same rows, so a poll before it may answer "unchanged". Every instant
is the boundary itself or earlier than the first instant with a different output (a strict
comparison changes one microsecond later): conservative, never late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from ketaclinic.treatment.domain.monitoring import (
    DueStatus,
    ItemStatus,
    MonitoringWindows,
    effective_observation_minutes,
)
from ketaclinic.treatment.domain.protocol import Anchor, Protocol, Route
from ketaclinic.treatment.domain.timing import OVERDUE_AFTER

__all__ = ["day_end", "item_changes", "next_change", "phase_changes"]

#: The stored phases whose shown phase follows the clock (``selectors.timeline.derived_phase``).
_DOSED_PHASES = frozenset({"dosing", "monitoring", "ready_for_discharge"})


def day_end(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The instant the clinic's local date after ``now`` begins (the board's day ends), in UTC
    (so that arithmetic on it is in real time, not on the local wall clock)."""
    tomorrow = now.astimezone(tz).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def phase_changes(
    protocol: Protocol,
    *,
    phase: str,
    scheduled_at: dt.datetime,
    dose_started_at: dt.datetime | None,
    device_count: int | None = None,
    hepatic_impairment: str = "none",
) -> Iterator[dt.datetime]:
    """The instants the row's phase or its label may change by the clock, given its stored
    ``phase`` (a ``SessionPhase`` value)."""
    if phase == "scheduled":
        yield scheduled_at + OVERDUE_AFTER  # "Scheduled" reads "Not recorded" after it
    if dose_started_at is None or phase not in _DOSED_PHASES:
        return
    # Dosing ends when the infusion or the last device ends, else at the start itself (a start
    # recorded a little ahead of the server's clock reads "Dosing" until then).
    end_of_dosing = dose_started_at
    if protocol.route is Route.IV_INFUSION and protocol.infusion_minutes:
        end_of_dosing = dose_started_at + dt.timedelta(minutes=protocol.infusion_minutes)
    elif protocol.devices is not None:
        count = device_count or 1
        end_of_dosing = dose_started_at + dt.timedelta(
            minutes=(count - 1) * protocol.devices.minutes_between_devices
        )
    yield end_of_dosing
    minutes = effective_observation_minutes(protocol, hepatic_impairment=hepatic_impairment)
    yield dose_started_at + dt.timedelta(minutes=minutes)


def item_changes(
    items: Sequence[ItemStatus], windows: MonitoringWindows | None = None
) -> Iterator[dt.datetime]:
    """The instants a monitoring item that is not done changes colour (pending -> due ->
    overdue). Done items, pre-dose items and items without a due time do not move by the clock.
    ``windows``: those the timeline was computed with (the defaults when None)."""
    windows = windows or MonitoringWindows()
    early = dt.timedelta(minutes=windows.early_minutes)
    late = dt.timedelta(minutes=windows.overdue_after_minutes)
    for item in items:
        if item.due_at is None or item.status in (DueStatus.DONE, DueStatus.OVERDUE):
            continue
        if item.planned.anchor is Anchor.PRE_DOSE:
            continue  # due until dosing starts, then overdue: a data change, not the clock
        yield item.due_at - early
        yield item.due_at + late


def next_change(now: dt.datetime, tz: ZoneInfo, instants: Iterable[dt.datetime]) -> dt.datetime:
    """The earliest instant after ``now`` at which the board may change: the end of the local
    day or one of ``instants`` (those at or before ``now`` have passed)."""
    return min([day_end(now, tz), *(t for t in instants if t > now)])
