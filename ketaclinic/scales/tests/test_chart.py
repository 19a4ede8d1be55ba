"""Trajectory charts: full dates with the year, no label cut at the edges, a legend for every
line and threshold (issue 14, finding 10). Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.svgchart import label_anchor
from ketaclinic.scales.chart import WIDTH, trajectory

NY = ZoneInfo("America/New_York")
START = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
CHAR_PX = 6.6  # the upper estimate label_anchor uses for an 11 px label


def _points(days: list[int], totals: list[float]) -> list[tuple[datetime, float, str, bool]]:
    markers = ["baseline"] + ["response"] * (len(days) - 2) + ["remission"]
    return [
        (START + timedelta(days=d), t, m, False)
        for d, t, m in zip(days, totals, markers, strict=True)
    ]


def test_dates_carry_the_year_across_a_new_year() -> None:
    chart = trajectory(
        _points([0, 20, 45], [24, 12, 4]), min_total=0, max_total=27, tz=NY, remission_at_or_below=4
    )
    labels = [t.label for t in chart.x_ticks]
    assert labels[0] == "2026-11-20"
    assert labels[-1].startswith("2027-01-")


def test_the_last_date_label_ends_inside_the_drawing() -> None:
    chart = trajectory(_points([0, 7, 14], [20, 9, 3]), min_total=0, max_total=27, tz=NY)
    last = chart.x_ticks[-1]
    assert last.pos == chart.plot_right
    assert last.anchor == "end"
    assert chart.x_ticks[0].anchor in {"start", "middle"}


def test_every_line_and_threshold_drawn_has_a_legend_entry() -> None:
    chart = trajectory(
        _points([0, 7, 14], [24, 11, 4]),
        min_total=0,
        max_total=27,
        tz=NY,
        remission_at_or_below=4,
        session_times=[START + timedelta(days=1), START + timedelta(days=3)],
    )
    labels = [e.label for e in chart.legend]
    assert labels[0] == "Total score"
    assert "Baseline (24)" in labels
    assert "Remission threshold (4 or less)" in labels
    assert "Dosed treatment sessions (2)" in labels
    dashed = {e.dasharray for e in chart.legend if e.kind == "line" and e.dasharray}
    assert dashed == {"2 4", "4 3", "1 3"}  # baseline, remission, sessions: as drawn


def test_no_remission_line_no_remission_legend() -> None:
    chart = trajectory(_points([0, 7, 14], [24, 20, 18]), min_total=0, max_total=27, tz=NY)
    assert chart.remission_y is None
    assert not any("Remission threshold" in e.label for e in chart.legend)


@given(pos=st.floats(min_value=0, max_value=WIDTH), length=st.integers(min_value=1, max_value=12))
def test_an_anchored_label_never_leaves_the_drawing(pos: float, length: int) -> None:
    text = "x" * length
    half, full = length * CHAR_PX / 2, length * CHAR_PX
    left = {"start": pos, "middle": pos - half, "end": pos - full}[
        label_anchor(pos, text, width=WIDTH)
    ]
    assert left >= -1e-9
    assert left + full <= WIDTH + 1e-9
