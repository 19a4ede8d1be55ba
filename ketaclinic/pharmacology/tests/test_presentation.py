"""The exposure pages' pure numbers and chart geometry (no treatment protocol, no database)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ketaclinic.pharmacology.presentation import (
    REFERENCE_BANDS,
    build_chart,
    parse_levels,
    percentile_band,
    time_above_on_grid,
)

# --- reference bands, levels, helpers ---------------------------------------------------------


def test_reference_bands_carry_their_sources():
    keys = {b.key for b in REFERENCE_BANDS}
    assert keys == {"analgesia", "dissociation", "anaesthesia"}
    for band in REFERENCE_BANDS:
        assert band.sources and all(band.sources)
        assert 0 < band.low_ng_ml < band.high_ng_ml
    anaesthesia = next(b for b in REFERENCE_BANDS if b.key == "anaesthesia")
    assert (anaesthesia.low_ng_ml, anaesthesia.high_ng_ml) == (1200.0, 2400.0)
    assert any("Idvall" in s for s in anaesthesia.sources)


def test_levels_parse_and_refuse_nonsense():
    assert parse_levels("") == (70.0, 100.0, 250.0)
    assert parse_levels("250, 70 100,70") == (70.0, 100.0, 250.0)
    for bad in ("abc", "0", "6000", "1 2 3 4 5 6"):
        with pytest.raises(ValueError):
            parse_levels(bad)


def test_time_above_on_a_grid_interpolates_crossings():
    times = np.array([0.0, 10.0, 20.0, 30.0])
    values = np.array([[0.0, 200.0, 200.0, 0.0]])
    # above 100 from t = 5 to t = 25
    assert time_above_on_grid(times, values, 100.0)[0] == pytest.approx(20.0)
    assert time_above_on_grid(times, values, 300.0)[0] == 0.0


def test_percentile_band_of_known_samples():
    samples = np.tile(np.arange(101.0)[:, None], (1, 3))
    p5, p50, p95 = percentile_band(samples)
    assert list(p5) == [5.0] * 3 and list(p50) == [50.0] * 3 and list(p95) == [95.0] * 3


# --- chart geometry ---------------------------------------------------------------------------


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def test_chart_ticks_are_round_numbers():
    times = np.arange(0.0, 241.0, 2.0)
    chart = build_chart(
        times, band=None, lines=[("typical", "x", times, np.linspace(0, 183, times.size))]
    )
    assert chart.y_max == 250.0
    assert [t.text for t in chart.x_ticks][:3] == ["0", "30", "60"]
    assert chart.band_path == ""
    assert [t.value for t in chart.y_ticks] == [0.0, 50.0, 100.0, 150.0, 200.0, 250.0]
