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

from ketaclinic.lib.svgchart import (
    LegendEntry,
    LinearScale,
    date_label,
    label_anchor,
    nice_step,
    ticks,
    time_ticks,
)

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
TICK_FONT_PX = 11

# The colours and dash patterns the template draws with; the legend shows the same.
LINE_COLOUR = "#1f5f8b"
REMISSION_COLOUR = "#1e6b3a"
RESPONSE_COLOUR = "#2f8a52"
BASELINE_COLOUR = "#8a5a00"
SESSION_COLOUR = "#7b8ca0"
FLAG_COLOUR = "#a4262c"
REMISSION_DASH = "4 3"
BASELINE_DASH = "2 4"
SESSION_DASH = "1 3"


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
    anchor: str = "middle"  # SVG text-anchor: the first and last labels stay inside the drawing


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
    legend: tuple[LegendEntry, ...] = ()


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
    x_ticks = []
    for when in time_ticks(start, end, most=5):
        pos, text = x_of(when), date_label(when, tz)
        x_ticks.append(Tick(pos, text, label_anchor(pos, text, width=WIDTH)))
    sessions = tuple(x_of(t) for t in session_times or ())
    remission_y = None
    if remission_at_or_below is not None and min_total <= remission_at_or_below <= max_total:
        remission_y = y_of(remission_at_or_below)
    legend = _legend(dots, remission_y, remission_at_or_below, len(sessions))
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
        legend=legend,
    )


def _legend(
    dots: Sequence[Dot], remission_y: float | None, remission: float | None, sessions: int
) -> tuple[LegendEntry, ...]:
    """One entry for every line, threshold and marker drawn, in the order drawn."""
    if not dots:
        return ()
    entries = [LegendEntry("Total score", LINE_COLOUR)]
    entries.append(LegendEntry(f"Baseline ({dots[0].total:g})", BASELINE_COLOUR, BASELINE_DASH))
    if remission_y is not None and remission is not None:
        entries.append(
            LegendEntry(
                f"Remission threshold ({remission:g} or less)", REMISSION_COLOUR, REMISSION_DASH
            )
        )
    if sessions:
        plural = "" if sessions == 1 else "s"
        entries.append(
            LegendEntry(
                f"Dosed treatment session{plural} ({sessions})", SESSION_COLOUR, SESSION_DASH
            )
        )
    markers = {d.marker for d in dots}
    if "response" in markers:
        entries.append(LegendEntry("Response", RESPONSE_COLOUR, kind="dot"))
    if "remission" in markers:
        entries.append(LegendEntry("Remission", REMISSION_COLOUR, kind="dot"))
    if any(d.flagged for d in dots):
        entries.append(LegendEntry("Flagged for review", FLAG_COLOUR, kind="dot"))
    return tuple(entries)
