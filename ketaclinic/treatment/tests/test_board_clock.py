"""The chair board's next change by the clock (``domain.board_clock``, issue 15): rendering a row
at any instant before the computed change gives exactly what it gave at ``now``.

The row is computed by the board's own functions (``derived_phase``, ``phase_label``,
``session_timeline``, ``next_due`` and the row's label), on plain objects standing in for the
session: no database, so Hypothesis can try thousands of sessions, readings and instants."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.treatment.domain import board_clock, monitoring
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Measure
from ketaclinic.treatment.models import OPEN_PHASES, SessionPhase
from ketaclinic.treatment.selectors.board import _item_label
from ketaclinic.treatment.selectors.timeline import derived_phase, phase_label, session_timeline

ZONES = [ZoneInfo(z) for z in ("America/New_York", "Europe/London", "Australia/Lord_Howe")]
BASE = dt.datetime(2026, 3, 8, 4, 0, tzinfo=dt.UTC)  # New York's spring-forward night
MEASURES = [Measure.BLOOD_PRESSURE, Measure.SPO2, Measure.MOAA_S, Measure.CADSS, Measure.HEART_RATE]
PHASES = [
    SessionPhase.SCHEDULED,
    SessionPhase.CHECKED_IN,
    SessionPhase.PRE_DOSE,
    SessionPhase.DOSING,
    SessionPhase.MONITORING,
    SessionPhase.READY_FOR_DISCHARGE,
]


def _row(session: Any, now: dt.datetime, tz: ZoneInfo) -> tuple[Any, ...]:
    """What the board shows of ``session`` at ``now`` (as selectors.board computes it), with the
    local day it belongs to."""
    phase = derived_phase(session, now)
    item = None
    items: list[monitoring.ItemStatus] = []
    if phase in OPEN_PHASES and phase != SessionPhase.SCHEDULED:
        items = session_timeline(session, now, session.obs)
        item = monitoring.next_due(items)
    return (
        now.astimezone(tz).date(),
        phase,
        phase_label(session, now),
        _item_label(item, tz),
        item.status.value if item else "",
        tuple(i.status for i in items),
    )


def _change(session: Any, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    protocol = session.protocol_version.protocol
    instants = list(
        board_clock.phase_changes(
            protocol,
            phase=session.phase,
            scheduled_at=session.scheduled_at,
            dose_started_at=session.dose_started_at,
            device_count=session.dose.device_count,
            hepatic_impairment=session.patient.hepatic_impairment,
        )
    )
    phase = derived_phase(session, now)
    if phase in OPEN_PHASES and phase != SessionPhase.SCHEDULED:
        instants += board_clock.item_changes(session_timeline(session, now, session.obs))
    return board_clock.next_change(now, tz, instants)


minutes = st.integers(min_value=-300, max_value=600)


@st.composite
def sessions(draw: Any) -> Any:
    protocol = SHIPPED_PROTOCOLS[draw(st.sampled_from(sorted(SHIPPED_PROTOCOLS)))]
    scheduled_at = BASE + dt.timedelta(minutes=draw(minutes))
    dosed = draw(st.booleans())
    dose_started_at = (
        scheduled_at + dt.timedelta(minutes=draw(st.integers(0, 120))) if dosed else None
    )
    obs = [
        SimpleNamespace(
            code=draw(st.sampled_from(MEASURES)).value,
            measured_at=scheduled_at + dt.timedelta(minutes=draw(st.integers(-10, 240))),
            value=90,
            systolic_mmhg=120,
            diastolic_mmhg=80,
            text="",
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    return SimpleNamespace(
        phase=draw(st.sampled_from(PHASES)),
        scheduled_at=scheduled_at,
        dose_started_at=dose_started_at,
        protocol_version=SimpleNamespace(protocol=protocol),
        dose=SimpleNamespace(device_count=draw(st.integers(1, 3))),
        patient=SimpleNamespace(hepatic_impairment=draw(st.sampled_from(["none", "moderate"]))),
        obs=obs,
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    session=sessions(),
    tz=st.sampled_from(ZONES),
    now_minutes=minutes,
    fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
)
def test_a_row_renders_the_same_at_every_instant_before_its_next_change(
    session: Any, tz: ZoneInfo, now_minutes: int, fractions: list[float]
) -> None:
    now = BASE + dt.timedelta(minutes=now_minutes, seconds=17)
    change = _change(session, now, tz)
    assert change > now
    seen = _row(session, now, tz)
    span = change - now
    last = change - dt.timedelta(microseconds=1)
    for t in [last, *(min(last, now + span * f) for f in fractions)]:
        assert _row(session, t, tz) == seen, (t, change)


@settings(max_examples=200, deadline=None)
@given(
    tz=st.sampled_from([*ZONES, ZoneInfo("America/Santiago"), ZoneInfo("Asia/Kolkata")]),
    seconds=st.integers(0, 400 * 86400),
)
def test_the_day_ends_at_the_first_instant_of_the_next_local_date(
    tz: ZoneInfo, seconds: int
) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    end = board_clock.day_end(now, tz)
    assert end > now
    before = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    assert before == now.astimezone(tz).date()
    assert end.astimezone(tz).date() > before


def test_a_row_changes_after_its_next_change() -> None:
    """Not vacuous: a dosed esketamine session's next change is its first reading falling due,
    and a render after it differs (the item turns amber)."""
    protocol = SHIPPED_PROTOCOLS["esketamine_trd"]
    start = BASE
    session = SimpleNamespace(
        phase=SessionPhase.MONITORING,
        scheduled_at=start - dt.timedelta(hours=2),
        dose_started_at=start,
        protocol_version=SimpleNamespace(protocol=protocol),
        dose=SimpleNamespace(device_count=1),
        patient=SimpleNamespace(hepatic_impairment="none"),
        obs=[],
    )
    tz = ZONES[0]
    now = start + dt.timedelta(minutes=1)
    change = _change(session, now, tz)
    assert change < start + dt.timedelta(hours=1)
    assert _row(session, change + dt.timedelta(seconds=1), tz) != _row(session, now, tz)
