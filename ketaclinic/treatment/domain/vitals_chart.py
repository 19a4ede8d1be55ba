"""Geometry of a session's small vitals chart (issue 14, at the chair). Pure: no Django.

The session page draws it as inline SVG (no script, no inline style: the CSP forbids both) with
presentation attributes; the readings table below it is the accessible fallback. Scales and
ticks come from ``ketaclinic.lib.svgchart``.

Series: systolic and diastolic blood pressure, heart rate and SpO2 on one axis (all lie within
0-300 by ``monitoring.PLAUSIBLE_RANGES``), with the hypertensive-crisis systolic line (> 180 mmHg,
2017 ACC/AHA guideline, Whelton et al., Hypertension 2018;71:e13; clinical.md 12) and the dose
time when there is one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ketaclinic.lib.svgchart import LinearScale, nice_step, plain_number, ticks, time_ticks
from ketaclinic.treatment.domain import monitoring
from ketaclinic.treatment.domain.protocol import Measure

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 30
#: Hypertensive crisis: systolic > 180 mmHg [Whelton 2018; clinical.md 12].
CRISIS_SYSTOLIC = 180

#: (key, label, colour, dash) per series; the legend lists them in this order.
SERIES: tuple[tuple[str, str, str, str], ...] = (
    ("systolic", "Systolic BP (mmHg)", "#a4262c", ""),
    ("diastolic", "Diastolic BP (mmHg)", "#d97706", "6 3"),
    ("heart_rate", "Heart rate (/min)", "#1f5f8b", ""),
    ("spo2", "SpO2 (%)", "#1e6b3a", "2 3"),
)


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    value: int
    when: dt.datetime


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    label: str
    colour: str
    dash: str
    polyline: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class VitalsChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    crisis_y: float | None
    dose_x: float | None
    label_y: int


def _values(o: monitoring.Observation) -> dict[str, int]:
    if o.measure is Measure.BLOOD_PRESSURE:
        out = {}
        if o.systolic_mmhg is not None:
            out["systolic"] = o.systolic_mmhg
        if o.diastolic_mmhg is not None:
            out["diastolic"] = o.diastolic_mmhg
        return out
    key = {Measure.HEART_RATE: "heart_rate", Measure.SPO2: "spo2"}.get(o.measure)
    return {key: o.value} if key is not None and o.value is not None else {}


def vitals_chart(
    observations: Sequence[monitoring.Observation],
    *,
    tz: dt.tzinfo,
    dose_started_at: dt.datetime | None = None,
) -> VitalsChart | None:
    """The chart of the session's vital signs, or None when there is nothing to draw."""
    series: dict[str, list[tuple[dt.datetime, int]]] = {k: [] for k, *_ in SERIES}
    for o in sorted(observations, key=lambda o: o.taken_at):
        for key, value in _values(o).items():
            series[key].append((o.taken_at, value))
    taken = [t for points in series.values() for t, _ in points]
    if not taken:
        return None
    start, end = min(taken), max(taken)
    if dose_started_at is not None:
        start, end = min(start, dose_started_at), max(end, dose_started_at)
    if end - start < dt.timedelta(minutes=30):
        end = start + dt.timedelta(minutes=30)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    top_value = max([v for points in series.values() for _, v in points] + [CRISIS_SYSTOLIC])
    step = nice_step(top_value, 5, integer=True)
    y_max = step * -(-top_value // step)
    x_scale = LinearScale((0.0, (end - start).total_seconds()), (x0, x1))
    y_scale = LinearScale((0.0, float(y_max)), (y1, y0))

    def x_of(when: dt.datetime) -> float:
        return round(x_scale((when - start).total_seconds()), 1)

    lines = []
    for key, label, colour, dash in SERIES:
        pts = tuple(Point(x_of(t), round(y_scale(v), 1), v, t) for t, v in series[key])
        if pts:
            lines.append(Line(key, label, colour, dash, " ".join(f"{p.x},{p.y}" for p in pts), pts))
    return VitalsChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=x0,
        plot_right=x1,
        plot_top=y0,
        plot_bottom=y1,
        lines=tuple(lines),
        y_ticks=tuple(
            Tick(round(y_scale(v), 1), plain_number(v, 0)) for v in ticks(0, y_max, step)
        ),
        x_ticks=tuple(
            Tick(x_of(t), t.astimezone(tz).strftime("%H:%M"))
            for t in time_ticks(start, end, most=5, unit=dt.timedelta(minutes=15))
        ),
        crisis_y=round(y_scale(CRISIS_SYSTOLIC), 1),
        dose_x=x_of(dose_started_at) if dose_started_at is not None else None,
        label_y=HEIGHT - 10,
    )


__all__ = ["CRISIS_SYSTOLIC", "SERIES", "VitalsChart", "vitals_chart"]
