"""Geometry of the concentration-time chart of the exposure pages (pure: no Django import).

Plain numbers and SVG path strings in viewBox units; the template (``pharmacology/_chart.html``)
places them with presentation attributes only. Ticks, axis ends and the data-to-pixel mapping come
from :mod:`ketaclinic.lib.svgchart`, shared with the scale trajectories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ketaclinic.lib.svgchart import LinearScale, nice_ceiling, nice_step, plain_number, ticks
from ketaclinic.pharmacology.reference import REFERENCE_BANDS, ReferenceBand
from ketaclinic.pharmacology.structures import FloatArray

__all__ = ["LABEL_GAP", "Chart", "ChartBand", "ChartLine", "Tick", "build_chart"]


@dataclass(frozen=True)
class ChartLine:
    key: str
    label: str
    points: str
    color: str
    width: float
    dash: str


@dataclass(frozen=True)
class ChartBand:
    label: str
    range_text: str
    y: float
    height: float
    label_y: float
    color: str


@dataclass(frozen=True)
class Tick:
    value: float
    pos: float
    text: str


@dataclass(frozen=True)
class Chart:
    """SVG geometry in viewBox units; the template only places these numbers and strings."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    band_path: str
    lines: tuple[ChartLine, ...]
    ref_bands: tuple[ChartBand, ...]
    bands_above: tuple[ReferenceBand, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    x_max: float
    y_max: float

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top

    @property
    def x_label_y(self) -> int:
        return self.height - 8

    @property
    def y_label_x(self) -> int:
        return 16

    @property
    def y_label_mid(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def x_label_mid(self) -> float:
        return (self.left + self.right) / 2


_SPREAD_COLORS = {
    "domino1982": ("#8a5a00", "6 3"),
    "clements1981": ("#6b3fa0", "2 3"),
    "hijazi2003": ("#a4262c", "8 3 2 3"),
}
LABEL_GAP = 28  # two lines of 11-unit text per reference-band label
_BAND_COLORS = {"analgesia": "#1e6b3a", "dissociation": "#8a5a00", "anaesthesia": "#a4262c"}


def build_chart(
    times: FloatArray,
    *,
    band: tuple[FloatArray, FloatArray] | None,
    band_times: FloatArray | None = None,
    lines: Sequence[tuple[str, str, FloatArray, FloatArray]],
    reference_bands: Sequence[ReferenceBand] = REFERENCE_BANDS,
    width: int = 760,
    height: int = 380,
) -> Chart:
    """Geometry of the concentration-time chart.

    ``lines`` are (key, label, times, values); the first is the main (typical-patient) curve. The
    y axis runs from 0 to a round number above every curve and the band; reference bands that
    start above it are listed in ``bands_above`` rather than drawn (anaesthesia would flatten the
    rest). Concentrations above the axis are drawn at its top.
    """
    left, right, top, bottom = 64, width - 118, 14, height - 50
    x_max = float(times[-1])
    highest = max(float(np.max(v)) for _, _, _, v in lines)
    if band is not None:
        highest = max(highest, float(np.max(band[1])))
    y_max = nice_ceiling(highest * 1.1)
    x = LinearScale((0.0, x_max), (left, right))
    to_y = LinearScale((0.0, y_max), (bottom, top))

    def y(c: float) -> float:
        return to_y(min(c, y_max))

    def points(at: FloatArray, values: FloatArray) -> str:
        return " ".join(
            f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, values, strict=True)
        )

    band_path = ""
    if band is not None:
        low, high = band
        at = times if band_times is None else band_times
        upper = [f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, high, strict=True)]
        lower = [f"{x(float(t)):.1f},{y(float(c)):.1f}" for t, c in zip(at, low, strict=True)]
        band_path = "M" + " L".join(upper) + " L" + " L".join(reversed(lower)) + " Z"

    chart_lines: list[ChartLine] = []
    for k, (key, label, at, values) in enumerate(lines):
        if k == 0:
            color, dash, stroke = "#1f5f8b", "", 3.0
        elif key == "median":
            color, dash, stroke = "#1f5f8b", "4 3", 1.5
        else:
            color, dash = _SPREAD_COLORS.get(key, ("#5b6775", "5 3"))
            stroke = 1.6
        chart_lines.append(ChartLine(key, label, points(at, values), color, stroke, dash))

    drawn: list[ChartBand] = []
    above: list[ReferenceBand] = []
    for ref in reference_bands:
        if ref.low_ng_ml >= y_max:
            above.append(ref)
            continue
        y_top, y_bottom = y(ref.high_ng_ml), y(ref.low_ng_ml)
        drawn.append(
            ChartBand(
                label=ref.label,
                range_text=f"{plain_number(ref.low_ng_ml, 0)}-{plain_number(ref.high_ng_ml, 0)} ng/mL",
                y=round(y_top, 1),
                height=round(y_bottom - y_top, 1),
                label_y=round(y_top + 12, 1),
                color=_BAND_COLORS.get(ref.key, "#5b6775"),
            )
        )
    # Overlapping bands (analgesia and dissociation share 100-160): stagger their labels.
    staggered: list[ChartBand] = []
    for band_item in sorted(drawn, key=lambda b: -b.label_y):
        label_y = band_item.label_y
        for placed in staggered:
            if abs(placed.label_y - label_y) < LABEL_GAP:
                label_y = placed.label_y - LABEL_GAP
        staggered.append(replace(band_item, label_y=label_y))

    x_step = 30.0 if x_max <= 240 else 60.0
    x_ticks = tuple(Tick(t, round(x(t), 1), plain_number(t, 0)) for t in ticks(0.0, x_max, x_step))
    y_step = nice_step(y_max)
    y_ticks = tuple(Tick(c, round(y(c), 1), plain_number(c, 1)) for c in ticks(0.0, y_max, y_step))
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        band_path=band_path,
        lines=tuple(chart_lines),
        ref_bands=tuple(staggered),
        bands_above=tuple(above),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        x_max=x_max,
        y_max=y_max,
    )
