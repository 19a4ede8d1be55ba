"""simulate_population: reproducible, chunk-independent, drawn with the model's variability."""

import warnings

import numpy as np
import pytest

from ketaclinic.pharmacology import (
    Dose,
    PopulationWarning,
    iter_population,
    population_warnings,
    simulate,
    simulate_population,
)
from ketaclinic.pharmacology.engine import default_chunk_size, parameter_values

TIMES = np.arange(0.0, 241.0, 1.0)
INFUSION = [Dose("iv", 35.0, 0.0, 40.0)]


def test_it_returns_one_row_per_subject_and_one_column_per_time():
    sims = simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=50, seed=1)
    assert sims.shape == (50, TIMES.size)
    assert np.all(np.isfinite(sims)) and np.all(sims >= 0)


def test_the_same_seed_gives_the_same_population():
    a = simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=200, seed=7)
    b = simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=200, seed=7)
    np.testing.assert_array_equal(a, b)


def test_a_different_seed_gives_a_different_population():
    a = simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=200, seed=7)
    b = simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=200, seed=8)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1000])
def test_the_result_does_not_depend_on_the_chunk_size(chunk_size):
    whole = simulate_population(
        "perez_ruixo2021", 70.0, [Dose("esketamine_nasal", 56.0, 0.0)], TIMES, n=150, seed=3
    )
    chunked = simulate_population(
        "perez_ruixo2021",
        70.0,
        [Dose("esketamine_nasal", 56.0, 0.0)],
        TIMES,
        n=150,
        seed=3,
        chunk_size=chunk_size,
    )
    np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)


def test_iterating_in_chunks_yields_bounded_blocks_that_make_up_the_population():
    blocks = list(
        iter_population("kamp2020", 70.0, INFUSION, TIMES, n=1000, seed=5, chunk_size=128)
    )
    assert max(b.shape[0] for b in blocks) == 128
    np.testing.assert_allclose(
        np.concatenate(blocks),
        simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=1000, seed=5),
        rtol=1e-13,
    )


def test_the_default_chunk_keeps_working_arrays_near_the_budget():
    size = default_chunk_size(241)
    assert 100 <= size <= 10_000
    assert default_chunk_size(10**7) == 1


def test_the_population_median_is_near_the_typical_patient():
    sims = simulate_population(
        "herd2007", 30.0, [Dose("iv", 30.0, 0.0, 10.0)], TIMES, n=4000, seed=11
    )
    typical = simulate("herd2007", 30.0, [Dose("iv", 30.0, 0.0, 10.0)], TIMES)
    ratio = np.median(sims[:, 60:], axis=0) / typical[60:]
    assert np.all(np.abs(ratio - 1) < 0.1)


def test_variability_follows_the_published_cv():
    # Herd 2007: CL CV 38.1%; AUC0-inf = dose/CL, so log(AUC) has SD sqrt(ln(1 + 0.381^2)).
    values = parameter_values("herd2007", 20000, np.random.default_rng(0))
    assert np.std(np.log(values["cl"])) == pytest.approx(np.sqrt(np.log1p(0.381**2)), rel=0.03)
    assert np.exp(np.mean(np.log(values["cl"]))) == pytest.approx(90.0 / 60.0, rel=0.01)


def test_the_nasal_fraction_varies_on_the_logit_scale_and_stays_a_fraction():
    values = parameter_values("perez_ruixo2021", 20000, np.random.default_rng(0))
    frn = values["frn"]
    assert np.all((frn > 0) & (frn < 1))
    logit = np.log(frn / (1 - frn))
    assert np.std(logit) == pytest.approx(0.708, rel=0.03)


def test_a_model_without_published_variability_refuses_a_population():
    with pytest.raises(ValueError, match="no published inter-individual variability"):
        simulate_population("domino1982", 70.0, INFUSION, TIMES, n=10, seed=1)


def test_variability_can_be_assumed_explicitly_for_such_a_model():
    sims = simulate_population(
        "domino1982", 70.0, INFUSION, TIMES, n=10, seed=1, options={"iiv_k10": 0.3}
    )
    assert np.std(sims[:, 100]) > 0


def test_removing_all_variability_is_refused_as_a_population():
    options = {f"iiv_{n}": 0.0 for n in ("v1", "v2", "v3", "cl", "q2", "q3")}
    with pytest.raises(ValueError, match="no published inter-individual variability"):
        simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=10, seed=1, options=options)


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_it_refuses_a_population_size_that_is_not_a_positive_whole_number(n):
    with pytest.raises(ValueError, match="n must be a positive whole number"):
        simulate_population("kamp2020", 70.0, INFUSION, TIMES, n=n, seed=1)


def test_an_adult_in_a_paediatric_model_carries_a_warning():
    with pytest.warns(PopulationWarning, match="children aged 1-14"):
        simulate("herd2007", 70.0, INFUSION, TIMES)


def test_a_child_sized_patient_in_an_adult_model_carries_a_warning():
    with pytest.warns(PopulationWarning, match="outside the 40-150 kg"):
        simulate("kamp2020", 25.0, INFUSION, TIMES)


def test_an_adult_in_an_adult_model_carries_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PopulationWarning)
        simulate("kamp2020", 70.0, INFUSION, TIMES, age_years=40)
    assert population_warnings("kamp2020", 70.0, 40) == []


def test_the_intensive_care_model_always_warns():
    assert any("intensive-care" in w for w in population_warnings("hijazi2003", 70.0))


def test_an_age_outside_the_source_population_is_flagged():
    assert any("age 10" in w for w in population_warnings("perez_ruixo2021", 70.0, age_years=10))


def test_age_above_60_lowers_hepatic_flow_and_raises_esketamine_exposure():
    doses = [Dose("esketamine_nasal", 56.0, 0.0)]
    young = simulate("perez_ruixo2021", 70.0, doses, TIMES, age_years=45)
    older = simulate("perez_ruixo2021", 70.0, doses, TIMES, age_years=75)
    assert older[-1] > young[-1]
