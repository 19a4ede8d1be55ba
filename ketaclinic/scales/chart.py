"""Geometry of a scale trajectory chart, rendered by a template as inline SVG (pure, no Django).

No JavaScript and no inline ``style`` (the CSP forbids it): the template draws ``<polyline>``,
``<circle>`` and ``<line>`` elements from the coordinates computed here and styles them with classes
from ``app.css`` and SVG presentation attributes.

``session_times`` is the hook for the treatment issue: pass the patient's treatment session times and
each becomes a tick on the time axis (``Chart.sessions``). Ticks and the data-to-pixel mapping come
from :mod:`ketaclinic.lib.svgchart`, shared with the exposure curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ketaclinic.lib.svgchart import LinearScale, nice_step, ticks, time_ticks

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    total: float
    when: datetime
    marker: str  # "baseline", "response", "remission", "" (CSS class)
    flagged: bool


@dataclass(frozen=True, slots=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    polyline: str
    dots: tuple[Dot, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    sessions: tuple[float, ...]
    remission_y: float | None
    baseline_y: float | None
    label_y: int


def trajectory(
    points: Sequence[tuple[datetime, float, str, bool]],
    *,
    min_total: float,
    max_total: float,
    tz: tzinfo,
    remission_at_or_below: float | None = None,
    session_times: Sequence[datetime] | None = None,
) -> Chart:
    """``points``: (effective_at, total, marker, flagged) in time order."""
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = TOP, HEIGHT - BOTTOM
    times = [p[0] for p in points] + list(session_times or [])
    start = min(times) if times else datetime.now(tz)
    end = max(times) if times else start
    if end - start < timedelta(days=1):
        end = start + timedelta(days=1)
    x_scale = LinearScale((0.0, (end - start).total_seconds()), (x0, x1))
    y_scale = LinearScale((min_total, max_total), (y1, y0))

    def x_of(when: datetime) -> float:
        return round(x_scale((when - start).total_seconds()), 1)

    def y_of(value: float) -> float:
        return round(y_scale(value), 1)

    dots = tuple(
        Dot(x_of(when), y_of(total), total, when, marker, flagged)
        for when, total, marker, flagged in points
    )
    # Totals are whole numbers: whole-number steps, at most six intervals.
    step = nice_step(max_total - min_total, 6, integer=True)
    y_ticks = [Tick(y_of(value), f"{value:g}") for value in ticks(min_total, max_total, step)]
    x_ticks = [
        Tick(x_of(when), when.astimezone(tz).strftime("%b %d"))
        for when in time_ticks(start, end, most=6)
    ]
    sessions = tuple(x_of(t) for t in session_times or ())
    remission_y = None
    if remission_at_or_below is not None and min_total <= remission_at_or_below <= max_total:
        remission_y = y_of(remission_at_or_below)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=x0,
        plot_right=x1,
        plot_top=y0,
        plot_bottom=y1,
        polyline=" ".join(f"{d.x},{d.y}" for d in dots),
        dots=dots,
        y_ticks=tuple(y_ticks),
        x_ticks=tuple(x_ticks),
        sessions=sessions,
        remission_y=remission_y,
        baseline_y=dots[0].y if dots else None,
        label_y=HEIGHT - 10,
    )
