"""A treatment protocol on the exposure pages: doses, curves, grids and chart of its view model
(pure, no database)."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from ketaclinic.pharmacology import Dose, population_warnings, simulate
from ketaclinic.pharmacology.presentation import RACEMIC_IV_MODELS
from ketaclinic.treatment.domain.exposure import (
    amount_problem,
    build_exposure,
    doses_for_protocol,
    population_grid,
    spread_models_for,
    time_grid,
)
from ketaclinic.treatment.domain.library import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_RACEMIC_DEPRESSION,
    IV_RACEMIC_CRPS,
    IV_RACEMIC_DEPRESSION,
    ORAL_RACEMIC_DEPRESSION,
    SHIPPED_PROTOCOLS,
)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


@pytest.fixture(scope="module")
def iv_view():
    return build_exposure(IV_RACEMIC_DEPRESSION, 70.0)


@pytest.fixture(scope="module")
def esk_view():
    return build_exposure(ESKETAMINE_TRD, 70.0)


# --- doses ------------------------------------------------------------------------------------


def test_esketamine_56_mg_is_two_28_mg_devices_five_minutes_apart():
    plan = doses_for_protocol(ESKETAMINE_TRD, 70.0)
    assert plan.doses == (Dose("esketamine_nasal", 56.0, 0.0, device_interval_min=5.0),)
    assert plan.doses[0].devices == 2
    assert "2 devices of 28 mg" in plan.description


def test_esketamine_84_mg_is_three_devices_and_weight_does_not_matter():
    light = doses_for_protocol(ESKETAMINE_MDSI, 50.0)
    heavy = doses_for_protocol(ESKETAMINE_MDSI, 120.0)
    assert light.doses == heavy.doses
    assert light.doses[0].mg == 84.0 and light.doses[0].devices == 3


def test_mg_per_kg_protocols_scale_with_weight():
    for weight in (50.0, 70.0, 113.5):
        (dose,) = doses_for_protocol(IV_RACEMIC_DEPRESSION, weight).doses
        assert dose == Dose("iv", 0.5 * weight, 0.0, duration_min=40.0)
    assert doses_for_protocol(IM_RACEMIC_DEPRESSION, 80.0).doses == (Dose("im", 40.0, 0.0),)
    assert doses_for_protocol(ORAL_RACEMIC_DEPRESSION, 80.0).doses == (Dose("oral", 80.0, 0.0),)


def test_a_rate_protocol_multiplies_by_the_infusion_time():
    (dose,) = doses_for_protocol(IV_RACEMIC_CRPS, 70.0).doses
    assert dose.mg == pytest.approx(0.35 * 70 * 4)
    assert dose.duration_min == 240.0


def test_a_chosen_amount_is_used_and_checked_against_the_protocol():
    (dose,) = doses_for_protocol(IV_RACEMIC_DEPRESSION, 70.0, Decimal("0.75")).doses
    assert dose.mg == pytest.approx(52.5)
    assert doses_for_protocol(ESKETAMINE_TRD, 70.0, Decimal(84)).doses[0].devices == 3
    assert amount_problem(ESKETAMINE_TRD, Decimal(70)) == "This protocol's doses are 56 mg, 84 mg."
    assert "cap is 1 mg/kg" in (amount_problem(IV_RACEMIC_DEPRESSION, Decimal("1.5")) or "")
    with pytest.raises(ValueError, match="cap"):
        doses_for_protocol(IV_RACEMIC_DEPRESSION, 70.0, Decimal("1.5"))


def test_a_total_above_the_protocols_mg_cap_is_lowered_to_it_and_said_so():
    plan = doses_for_protocol(ORAL_RACEMIC_DEPRESSION, 200.0, Decimal("2.0"))
    assert plan.total_mg == 300.0
    assert plan.notes and "300 mg" in plan.notes[0]


# --- curves -----------------------------------------------------------------------------------


def test_the_curve_is_the_engines_simulation_of_the_same_doses(iv_view, esk_view):
    for view in (iv_view, esk_view):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = simulate(view.model.id, 70.0, view.plan.doses, view.times)
        np.testing.assert_array_equal(view.typical.values, expected)


def test_the_population_band_is_ordered(iv_view, esk_view):
    for view in (iv_view, esk_view):
        assert np.all(view.p5 <= view.p50)
        assert np.all(view.p50 <= view.p95)
        assert np.any(view.p5 < view.p95)  # the band has width
        for row in view.table:
            assert row.p5 <= row.p50 <= row.p95


def test_the_band_is_reproducible():
    a = build_exposure(IV_RACEMIC_DEPRESSION, 70.0)
    b = build_exposure(IV_RACEMIC_DEPRESSION, 70.0)
    np.testing.assert_array_equal(a.p95, b.p95)


def test_racemic_iv_protocols_show_the_spread_across_the_four_models(iv_view):
    assert spread_models_for(IV_RACEMIC_DEPRESSION) == RACEMIC_IV_MODELS
    assert [c.model_id for c in iv_view.spread] == ["domino1982", "clements1981", "hijazi2003"]
    assert [r.model_id for r in iv_view.rows] == list(RACEMIC_IV_MODELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for curve in iv_view.spread:
            expected = simulate(curve.model_id, 70.0, iv_view.plan.doses, iv_view.times)
            np.testing.assert_array_equal(curve.values, expected)


def test_only_racemic_iv_protocols_have_a_spread(esk_view):
    assert esk_view.spread == ()
    assert spread_models_for(IM_RACEMIC_DEPRESSION) == ()
    assert spread_models_for(ORAL_RACEMIC_DEPRESSION) == ()


def test_hijazis_intensive_care_population_is_warned_about(iv_view):
    messages = {w.model_id: w.message for w in iv_view.warnings}
    assert messages["hijazi2003"] == population_warnings("hijazi2003", 70.0)[0]
    assert "intensive-care" in messages["hijazi2003"]


def test_a_patient_outside_the_source_population_is_warned_about():
    view = build_exposure(IV_RACEMIC_DEPRESSION, 170.0)
    assert any(w.model_id == "kamp2020" and "170 kg" in w.message for w in view.warnings)


def test_the_exposure_table_matches_the_engine(iv_view):
    from ketaclinic.pharmacology import exposure

    main = iv_view.rows[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = exposure("kamp2020", 70.0, iv_view.plan.doses, iv_view.t_end_min, 100.0)
    assert main.main and main.cmax_ng_ml == expected.cmax_ng_ml
    assert main.tmax_min == expected.tmax_min
    assert iv_view.levels == (70.0, 100.0, 250.0)
    assert main.above_min[1] == expected.time_above_threshold_min


def test_the_population_row_is_median_with_5th_and_95th(iv_view):
    p = iv_view.population_row
    for median, low, high in (p.cmax, p.tmax, *p.above):
        assert low <= median <= high


def test_every_shipped_protocol_builds_with_a_time_grid_past_its_observation():
    for protocol in SHIPPED_PROTOCOLS.values():
        view = build_exposure(protocol, 70.0, n=50)
        assert view.t_end_min >= protocol.min_observation_minutes
        assert np.all(np.isfinite(view.typical.values))
        assert view.table[0].time_min == 0.0
        assert view.table[1].time_min == 10.0


def test_a_weight_outside_the_models_range_is_refused():
    with pytest.raises(ValueError, match="between 20 and 250 kg"):
        build_exposure(IV_RACEMIC_DEPRESSION, 251.0)


# --- reference bands, levels, helpers ---------------------------------------------------------


def test_esketamine_pages_say_the_ranges_are_racemic(esk_view, iv_view):
    assert "racemic" in esk_view.reference_note and "SPRAVATO" in esk_view.reference_note
    assert "185 ng/mL" in iv_view.reference_note


def test_the_population_grid_is_dense_for_the_first_hour_and_keeps_the_infusion_end():
    times = time_grid(IV_RACEMIC_CRPS)
    grid = population_grid(times, IV_RACEMIC_CRPS)
    assert list(grid[:3]) == [0.0, 2.0, 4.0]
    assert 60.0 in grid and 62.0 not in grid and 70.0 in grid
    assert 240.0 in grid and grid[-1] == times[-1]
    odd = replace(IV_RACEMIC_DEPRESSION, infusion_minutes=76, min_observation_minutes=80)
    assert 76.0 in population_grid(time_grid(odd), odd)


def test_time_grid_covers_dosing_and_observation():
    assert time_grid(IV_RACEMIC_DEPRESSION)[-1] == 240.0
    assert time_grid(IV_RACEMIC_CRPS)[-1] == 420.0
    assert time_grid(ESKETAMINE_TRD)[1] == 2.0


# --- chart geometry ---------------------------------------------------------------------------


def test_chart_coordinates_stay_inside_the_plot(iv_view):
    chart = iv_view.chart
    for line in chart.lines:
        xs = _numbers(line.points)[0::2]
        ys = _numbers(line.points)[1::2]
        grid = iv_view.band_times if line.key == "median" else iv_view.times
        assert len(xs) == grid.size
        assert min(xs) == chart.left and max(xs) == chart.right
        assert all(chart.top <= y <= chart.bottom for y in ys)
    band = _numbers(chart.band_path)
    assert chart.band_path.startswith("M") and chart.band_path.endswith("Z")
    assert len(band) == 4 * iv_view.band_times.size
    assert chart.y_max >= float(np.max(iv_view.p95))


def test_chart_leaves_out_reference_bands_above_its_scale(iv_view):
    chart = iv_view.chart
    assert chart.y_max < 1200
    assert [b.key for b in chart.bands_above] == ["anaesthesia"]
    assert {b.label for b in chart.ref_bands} == {"Analgesia", "Dissociation"}
    labels = sorted(b.label_y for b in chart.ref_bands)
    assert labels[1] - labels[0] >= 14  # staggered, not overprinted
