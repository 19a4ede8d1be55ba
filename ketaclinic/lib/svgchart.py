"""Axis maths for the server-rendered SVG charts (pure: no Django, no numpy).

The scale trajectories (:mod:`ketaclinic.scales.chart`) and the exposure curves
(:mod:`ketaclinic.pharmacology.chart`) compute their geometry here and hand plain numbers and
strings to a template, which draws them with SVG presentation attributes (the CSP forbids inline
styles and scripts):

- :func:`nice_step` and :func:`nice_ceiling` pick round numbers (1, 2, 2.5 or 5 times a power of
  ten) for tick spacing and axis ends;
- :func:`ticks` lists the values from a start to a stop at a step, :func:`nice_ticks` covers a
  data range with round ticks;
- :class:`LinearScale` maps data values to pixels (an SVG y axis runs downwards: give it the
  pixel range bottom first);
- :func:`time_ticks` spreads date ticks evenly over a time axis;
- :func:`plain_number` writes a tick label without trailing zeros;
- :func:`date_label` writes a full date with its year (``2026-12-01``) in a given zone, and
  :func:`label_anchor` keeps a label inside the drawing (``start``/``middle``/``end``);
- :class:`LegendEntry` names each line, threshold and marker a chart draws, for the legend the
  template prints beside it (every dotted or dashed line is explained there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import SupportsFloat

__all__ = [
    "NICE_MULTIPLIERS",
    "LegendEntry",
    "LinearScale",
    "date_label",
    "label_anchor",
    "nice_ceiling",
    "nice_step",
    "nice_ticks",
    "plain_number",
    "ticks",
    "time_ticks",
]

NICE_MULTIPLIERS: tuple[float, ...] = (1.0, 2.0, 2.5, 5.0, 10.0)
"""Round numbers within one power of ten; 10 closes the decade."""

_EPSILON = 1e-9


def _nice_at_least(value: float, *, integer: bool = False) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= ``value`` (a whole number if ``integer``)."""
    exponent = math.floor(math.log10(value))
    while True:
        for multiplier in NICE_MULTIPLIERS:
            candidate = multiplier * 10.0**exponent
            if integer and (candidate < 1 or candidate != math.floor(candidate)):
                continue
            if candidate >= value - 1e-12:
                return candidate
        exponent += 1


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 2, 2.5, 5 x 10^k) at or above ``value``; 1 for values that
    are not positive and finite. Used for the top of an axis that starts at 0."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    return _nice_at_least(value)


def nice_step(span: float, target: int = 5, *, integer: bool = False) -> float:
    """A round tick spacing giving at most ``target`` intervals over ``span``.

    The smallest of 1, 2, 2.5, 5 x 10^k that is at least ``span / target``. With ``integer`` the
    step is a whole number (1, 2, 5, 10, 20, 25, 50, ...), for axes of whole-number scores.
    """
    if not math.isfinite(span) or span <= 0:
        raise ValueError(f"span must be positive and finite, got {span!r}")
    if target < 1:
        raise ValueError(f"target must be at least 1, got {target!r}")
    raw = span / target
    if raw == 0:  # underflow: a span far below anything drawn
        raise ValueError(f"span {span!r} is too small for {target} intervals")
    return _nice_at_least(raw, integer=integer)


def ticks(start: float, stop: float, step: float) -> tuple[float, ...]:
    """``start``, ``start + step``, ... up to ``stop`` (included, within rounding).

    Each value is ``start + i * step`` (not a running sum), so no error accumulates.
    """
    if not step > 0 or not math.isfinite(step):
        raise ValueError(f"step must be positive and finite, got {step!r}")
    if stop < start:
        return ()
    count = math.floor((stop - start) / step + _EPSILON) + 1
    return tuple(start + i * step for i in range(count))


def nice_ticks(low: float, high: float, target: int = 5) -> tuple[float, ...]:
    """Round, evenly spaced ticks from at or below ``low`` to at or above ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise ValueError(f"need finite low <= high, got {low!r}, {high!r}")
    span = high - low
    if span == 0:
        span = abs(low) or 1.0
    step = nice_step(span, target)
    first = math.floor(low / step + _EPSILON) * step
    if first > low + _EPSILON * step:  # the epsilon only forgives rounding noise
        first -= step
    last = math.ceil(high / step - _EPSILON) * step
    if last < high - _EPSILON * step:
        last += step
    count = round((last - first) / step) + 1
    decimals = 1 - math.floor(math.log10(step))  # 2.5 x 10^k needs one digit below 10^k
    return tuple(round(first + i * step, decimals) + 0.0 for i in range(count))


@dataclass(frozen=True, slots=True)
class LinearScale:
    """Maps a data interval onto a pixel interval: ``domain[0] -> range[0]``,
    ``domain[1] -> range[1]``. For an SVG y axis give the pixel range as (bottom, top)."""

    domain: tuple[float, float]
    range: tuple[float, float]

    def __post_init__(self) -> None:
        if self.domain[0] == self.domain[1]:
            raise ValueError("a scale needs a domain of non-zero width")

    def __call__(self, value: float) -> float:
        d0, d1 = self.domain
        r0, r1 = self.range
        return r0 + (r1 - r0) * (value - d0) / (d1 - d0)


def time_ticks(
    start: datetime, end: datetime, *, most: int = 6, unit: timedelta = timedelta(days=1)
) -> tuple[datetime, ...]:
    """Evenly spaced times from ``start`` to ``end`` (both included): at most ``most``
    intervals and about one interval per ``unit`` when the axis is shorter than that."""
    span = (end - start).total_seconds()
    units = max(1, round(span / unit.total_seconds()))
    count = min(most, units)
    return tuple(start + timedelta(seconds=span * i / count) for i in range(count + 1))


def plain_number(value: SupportsFloat, digits: int = 1) -> str:
    """``value`` to at most ``digits`` decimals without trailing zeros: 2.50 -> '2.5', 30.0 ->
    '30', -0.0 -> '0'."""
    text = f"{float(value):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def date_label(when: datetime, tz: tzinfo) -> str:
    """A full date with its year, in ``tz``: ``2026-12-01`` (never ``Dec 01``, which hides the
    year and reads differently across locales)."""
    return when.astimezone(tz).strftime("%Y-%m-%d")


def label_anchor(
    pos: float, text: str, *, width: float, char_px: float = 6.6, margin: float = 2.0
) -> str:
    """The SVG ``text-anchor`` that keeps ``text`` centred on ``pos`` unless that would cut it at
    either edge of a drawing ``width`` wide: then ``start`` (left edge) or ``end`` (right edge).
    ``char_px``: an upper estimate of one character's width at the label's font size."""
    half = len(text) * char_px / 2
    if pos + half > width - margin:
        return "end"
    if pos - half < margin:
        return "start"
    return "middle"


@dataclass(frozen=True, slots=True)
class LegendEntry:
    """One line, threshold or marker of a chart, as the legend shows it: ``kind`` is ``line``
    (drawn with ``stroke`` and, when dashed or dotted, ``dasharray``) or ``dot`` (a marker
    filled with ``stroke``)."""

    label: str
    stroke: str
    dasharray: str = ""
    kind: str = "line"
