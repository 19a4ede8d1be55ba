"""Geometry of the blood-pressure trend chart (pure): one point per dosed session, four lines
(pre-dose and peak, systolic and diastolic). A template draws it as inline SVG; the page keeps a
table of every value as the fallback. Axis maths from :mod:`ketaclinic.lib.svgchart`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ketaclinic.lib.svgchart import LinearScale, nice_ticks, time_ticks
from ketaclinic.surveillance.rules.exposure import SessionBp

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34


@dataclass(frozen=True, slots=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    key: str  # "pre_sys", "peak_sys", "pre_dia", "peak_dia"
    label: str
    colour: str
    dashed: bool
    points: tuple[tuple[float, float, int], ...]  # x, y, mmHg

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _ in self.points)


@dataclass(frozen=True, slots=True)
class BpChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    label_y: int
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


_SERIES = (
    ("pre_sys", "Systolic before dosing", "#1f5f8b", False),
    ("peak_sys", "Peak systolic after dosing", "#a4262c", False),
    ("pre_dia", "Diastolic before dosing", "#1f5f8b", True),
    ("peak_dia", "Peak diastolic after dosing", "#a4262c", True),
)


def bp_chart(sessions: Sequence[SessionBp], tz: dt.tzinfo) -> BpChart | None:
    """None when no session has a reading."""
    values = [
        v
        for s in sessions
        for r in (s.pre, s.peak)
        if r is not None
        for v in (r.systolic, r.diastolic)
    ]
    if not values:
        return None
    y_ticks_values = nice_ticks(min(values), max(values), 6)
    low, high = y_ticks_values[0], y_ticks_values[-1]
    if high == low:
        high = low + 10
    start = min(s.dosed_at for s in sessions)
    end = max(s.dosed_at for s in sessions)
    if end - start < dt.timedelta(days=1):
        end = start + dt.timedelta(days=1)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    x_scale = LinearScale((0.0, (end - start).total_seconds()), (x0, x1))
    y_scale = LinearScale((low, high), (y1, y0))

    def x_of(when: dt.datetime) -> float:
        return round(x_scale((when - start).total_seconds()), 1)

    series = []
    for key, label, colour, dashed in _SERIES:
        points = []
        for s in sorted(sessions, key=lambda s: s.dosed_at):
            reading = s.pre if key.startswith("pre") else s.peak
            if reading is None:
                continue
            value = reading.systolic if key.endswith("sys") else reading.diastolic
            points.append((x_of(s.dosed_at), round(y_scale(value), 1), value))
        series.append(Series(key, label, colour, dashed, tuple(points)))
    return BpChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=x0,
        plot_right=x1,
        plot_top=y0,
        plot_bottom=y1,
        label_y=HEIGHT - 10,
        series=tuple(series),
        y_ticks=tuple(
            Tick(round(y_scale(v), 1), f"{v:g}") for v in y_ticks_values if low <= v <= high
        ),
        x_ticks=tuple(
            Tick(x_of(t), t.astimezone(tz).strftime("%b %d"))
            for t in time_ticks(start, end, most=6)
        ),
    )
