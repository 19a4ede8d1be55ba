"""Geometry of the clinic outcomes bar chart, drawn by ``templates/scales/outcomes.html`` as inline
SVG (pure, no Django; no script, no inline style, as ``scales/chart.py``).

One chart per scale and group: for each time point a pair of bars, the response rate and the
remission rate (0-100 %), with ``n`` (the denominator) under the time point. A time point without
patients shows "no data" instead of bars, so an empty cell is never drawn as 0 %. The table on the
page stays the accessible fallback with every number."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ketaclinic.lib.svgchart import LinearScale
from ketaclinic.scales.outcomes import Cell

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 46
BAR_GAP = 2


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "response" or "remission" (CSS class and legend)
    title: str  # the tooltip: "Week 4: response 40% (2 of 5)"


@dataclass(frozen=True, slots=True)
class Slot:
    label: str
    centre: float
    n_label: str
    empty: bool


@dataclass(frozen=True, slots=True)
class YTick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class OutcomeChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: float
    bars: tuple[Bar, ...]
    slots: tuple[Slot, ...]
    y_ticks: tuple[YTick, ...]
    label_y: float
    n_y: float
    empty_y: float
    show_remission: bool


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.0f}%"


def outcome_chart(cells: Sequence[Cell], *, show_remission: bool = True) -> OutcomeChart:
    """Bars for one group's time points (``GroupRow.cells``). ``show_remission`` is False for a
    scale with no remission threshold (its remission bars would always be 0)."""
    plot_bottom = HEIGHT - BOTTOM
    y = LinearScale((0.0, 1.0), (float(plot_bottom), float(TOP)))
    slot_width = (WIDTH - LEFT - RIGHT) / max(len(cells), 1)
    kinds = ("response", "remission") if show_remission else ("response",)
    bar_width = min(22.0, (slot_width - 12) / len(kinds))
    bars: list[Bar] = []
    slots: list[Slot] = []
    for index, cell in enumerate(cells):
        centre = LEFT + slot_width * (index + 0.5)
        slots.append(Slot(cell.label, round(centre, 1), f"n={cell.n}", cell.n == 0))
        if cell.n == 0:
            continue
        counts = {"response": cell.responders, "remission": cell.remitters}
        first_x = centre - (bar_width * len(kinds) + BAR_GAP * (len(kinds) - 1)) / 2
        for k, kind in enumerate(kinds):
            count = counts[kind]
            top = y(count / cell.n)
            bars.append(
                Bar(
                    x=round(first_x + k * (bar_width + BAR_GAP), 1),
                    y=round(top, 1),
                    width=round(bar_width, 1),
                    height=round(plot_bottom - top, 1),
                    kind=kind,
                    title=f"{cell.label}: {kind} {_percent(count, cell.n)} ({count} of {cell.n})",
                )
            )
    y_ticks = tuple(YTick(round(y(v / 100), 1), f"{v}%") for v in (0, 25, 50, 75, 100))
    return OutcomeChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        bars=tuple(bars),
        slots=tuple(slots),
        y_ticks=y_ticks,
        label_y=plot_bottom + 16,
        n_y=plot_bottom + 32,
        empty_y=plot_bottom - 8,
        show_remission=show_remission,
    )
