"""Analytic identities: AUC0-inf = F x dose / CL, superposition, exact AUC0-t."""

import warnings
from itertools import pairwise

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.linalg import expm

from ketaclinic.pharmacology import Dose, PopulationWarning, exposure, get_model, simulate
from ketaclinic.pharmacology.engine import typical_disposition
from ketaclinic.pharmacology.tests.oracle import disposition_matrix

RACEMIC = ["kamp2020", "domino1982", "clements1981", "hijazi2003", "herd2007"]


def clearance_l_per_h(model: str, weight: float) -> float:
    return float(typical_disposition(model, weight).clearance[0] * 60)


@pytest.fixture(autouse=True)
def _quiet_population_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PopulationWarning)
        yield


@pytest.mark.parametrize("model", RACEMIC)
@pytest.mark.parametrize(
    "dose",
    [
        Dose("iv", 35.0, 0.0, 40.0),
        Dose("iv", 20.0, 15.0),
        Dose("im", 50.0, 0.0, bioavailability=0.9, ka_per_min=0.1),
        Dose("oral", 100.0, 30.0, bioavailability=0.2, ka_per_min=0.0117),
        Dose("intranasal", 50.0, 0.0, 10.0, bioavailability=0.3, ka_per_min=0.05),
    ],
)
def test_auc_to_infinity_equals_bioavailability_times_dose_over_clearance(model, dose):
    weight = 30.0 if model == "herd2007" else 80.0
    f = dose.bioavailability or 1.0
    expected = f * dose.mg / clearance_l_per_h(model, weight) * 1000  # ng*h/mL
    result = exposure(model, weight, [dose], 60.0)
    assert result.auc_0_inf_ng_h_ml == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("model", RACEMIC)
def test_auc_to_infinity_uses_the_documented_default_bioavailability(model):
    weight = 30.0 if model == "herd2007" else 80.0
    f = get_model(model).param("f_im").value
    result = exposure(model, weight, [Dose("im", 50.0, 0.0)], 60.0)
    expected = f * 50.0 / clearance_l_per_h(model, weight) * 1000
    assert result.auc_0_inf_ng_h_ml == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("model", [*RACEMIC, "perez_ruixo2021"])
def test_two_half_doses_give_the_same_curve_as_one_dose(model):
    times = np.linspace(0.0, 600.0, 241)
    route = "iv"
    one = simulate(model, 60.0, [Dose(route, 40.0, 5.0, 20.0)], times)
    two = simulate(model, 60.0, [Dose(route, 20.0, 5.0, 20.0), Dose(route, 20.0, 5.0, 20.0)], times)
    np.testing.assert_allclose(two, one, rtol=1e-13, atol=1e-13)


def test_doses_at_different_times_add_up():
    times = np.linspace(0.0, 600.0, 121)
    first = Dose("im", 30.0, 0.0)
    second = Dose("iv", 10.0, 120.0, 10.0)
    both = simulate("kamp2020", 70.0, [first, second], times)
    apart = simulate("kamp2020", 70.0, [first], times) + simulate("kamp2020", 70.0, [second], times)
    np.testing.assert_allclose(both, apart, rtol=1e-13, atol=1e-13)


def test_concentration_scales_linearly_with_dose():
    times = np.linspace(0.0, 300.0, 61)
    small = simulate("domino1982", 70.0, [Dose("iv", 10.0, 0.0, 5.0)], times)
    large = simulate("domino1982", 70.0, [Dose("iv", 30.0, 0.0, 5.0)], times)
    np.testing.assert_allclose(large, 3 * small, rtol=1e-13)


@pytest.mark.parametrize(
    ("model", "doses"),
    [
        ("kamp2020", [Dose("iv", 35.0, 0.0, 40.0)]),
        ("clements1981", [Dose("oral", 100.0, 0.0), Dose("iv", 10.0, 60.0)]),
        ("perez_ruixo2021", [Dose("esketamine_nasal", 56.0, 0.0, device_interval_min=5.0)]),
        ("perez_ruixo2021", [Dose("oral", 84.0, 0.0)]),
    ],
)
def test_exact_auc_to_t_matches_numerical_quadrature(model, doses):
    t_end = 300.0
    result = exposure(model, 70.0, doses, t_end)
    breaks = sorted(
        {
            0.0,
            t_end,
            *(d.start_min for d in doses),
            *(d.start_min + d.duration_min for d in doses),
            5.0,
            10.0,
            19.2,
            36.8,
        }
    )
    total = sum(
        quad(
            lambda t: simulate(model, 70.0, doses, [t])[0],
            lo,
            hi,
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )[0]
        for lo, hi in pairwise(breaks)
    )
    assert result.auc_0_t_ng_h_ml == pytest.approx(total / 60.0, rel=1e-8)


def test_cmax_and_tmax_of_an_infusion_are_at_its_end():
    result = exposure("kamp2020", 70.0, [Dose("iv", 35.0, 0.0, 40.0)], 240.0)
    assert result.tmax_min == pytest.approx(40.0, abs=1e-6)
    assert result.cmax_ng_ml == pytest.approx(253.0518, abs=1e-4)


def test_cmax_of_a_depot_dose_is_refined_between_grid_points():
    doses = [Dose("im", 50.0, 0.0, ka_per_min=0.1)]
    result = exposure("kamp2020", 70.0, doses, 240.0)
    fine = np.linspace(result.tmax_min - 0.01, result.tmax_min + 0.01, 2001)
    assert simulate("kamp2020", 70.0, doses, fine).max() <= result.cmax_ng_ml + 1e-9


def test_time_above_threshold_is_the_span_between_the_crossings():
    doses = [Dose("iv", 35.0, 0.0, 40.0)]
    threshold = 150.0
    result = exposure("kamp2020", 70.0, doses, 240.0, threshold_ng_ml=threshold)
    times = np.linspace(0.0, 240.0, 2_400_001)
    dense = simulate("kamp2020", 70.0, doses, times)
    assert result.time_above_threshold_min == pytest.approx(
        (dense > threshold).sum() * 1e-4, abs=2e-4
    )


def test_time_above_a_threshold_never_reached_is_zero():
    result = exposure("kamp2020", 70.0, [Dose("iv", 35.0, 0.0, 40.0)], 240.0, threshold_ng_ml=1e4)
    assert result.time_above_threshold_min == 0.0


def test_exposure_over_a_window_that_ends_during_the_infusion():
    result = exposure("kamp2020", 70.0, [Dose("iv", 35.0, 0.0, 40.0)], 20.0)
    assert result.tmax_min == pytest.approx(20.0)
    assert result.cmax_ng_ml == pytest.approx(198.2706, abs=1e-4)
    assert result.auc_0_t_ng_h_ml < result.auc_0_inf_ng_h_ml


def test_it_agrees_with_the_augmented_matrix_exponential_to_1e_12():
    k, v0 = disposition_matrix("domino1982", 70.0)
    n = k.shape[0]
    augmented = np.zeros((n + 1, n + 1))
    augmented[:n, :n] = k
    augmented[0, n] = 35.0 / 40.0  # mg/min into the central compartment

    def by_expm(t: float) -> float:
        x = expm(augmented * min(t, 40.0))[:n, n]
        if t > 40.0:
            x = expm(k * (t - 40.0)) @ x
        return float(x[0] / v0 * 1000)

    times = np.array([0.5, 1, 5, 10, 20, 39.9, 40, 45, 60, 80, 120, 240, 600, 1440])
    exact = simulate("domino1982", 70.0, [Dose("iv", 35.0, 0.0, 40.0)], times)
    np.testing.assert_allclose(exact, [by_expm(t) for t in times], rtol=1e-12)
