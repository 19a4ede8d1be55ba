"""Bad input raises a ValueError that says what is wrong."""

import numpy as np
import pytest

from ketaclinic.pharmacology import Dose, PopulationWarning, exposure, get_model, simulate

INFUSION = [Dose("iv", 35.0, 0.0, 40.0)]


@pytest.mark.parametrize("mg", [0.0, -5.0, float("nan"), float("inf")])
def test_it_refuses_a_zero_or_negative_dose(mg):
    with pytest.raises(ValueError, match="dose must be a positive number of mg"):
        Dose("iv", mg, 0.0)


def test_it_refuses_an_unknown_route_and_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown route 'rectal'; allowed routes: iv, im"):
        Dose("rectal", 10.0, 0.0)


def test_it_refuses_a_route_the_model_cannot_take():
    with pytest.raises(ValueError, match="model kamp2020 cannot take route 'esketamine_nasal'"):
        simulate("kamp2020", 70.0, [Dose("esketamine_nasal", 56.0, 0.0)], [0, 10])
    with pytest.raises(ValueError, match="model perez_ruixo2021 cannot take route 'im'"):
        simulate("perez_ruixo2021", 70.0, [Dose("im", 56.0, 0.0)], [0, 10])


@pytest.mark.parametrize("times", [[0, 10, 10], [0, 20, 10], [5, 1]])
def test_it_refuses_times_that_are_not_increasing(times):
    with pytest.raises(ValueError, match="times must be strictly increasing"):
        simulate("kamp2020", 70.0, INFUSION, times)


@pytest.mark.parametrize("times", [[], [[0, 1]], [-1, 0], [0, float("nan")]])
def test_it_refuses_empty_negative_or_non_finite_times(times):
    with pytest.raises(ValueError, match="times must"):
        simulate("kamp2020", 70.0, INFUSION, times)


@pytest.mark.parametrize("weight", [19.9, 250.1, 0, -70, float("nan")])
def test_it_refuses_a_weight_outside_20_to_250_kg(weight):
    with pytest.raises(ValueError, match="weight must be between 20 and 250 kg"):
        simulate("kamp2020", weight, INFUSION, [0, 10])


@pytest.mark.parametrize("weight", [20.0, 250.0])
def test_it_accepts_the_weight_limits_with_a_population_warning(weight):
    with pytest.warns(PopulationWarning):
        assert simulate("kamp2020", weight, INFUSION, [0, 10])[1] > 0


def test_it_refuses_an_unknown_model_and_lists_the_ids():
    with pytest.raises(ValueError, match="unknown model 'marsh'; allowed models: kamp2020"):
        get_model("marsh")


def test_it_refuses_an_empty_dose_list():
    with pytest.raises(ValueError, match="at least one dose"):
        simulate("kamp2020", 70.0, [], [0, 10])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_min": -1.0}, "start_min must be"),
        ({"duration_min": -1.0}, "duration_min must be"),
    ],
)
def test_it_refuses_negative_times_in_a_dose(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dose(**{"route": "iv", "mg": 10.0, "start_min": 0.0, **kwargs})


@pytest.mark.parametrize("f", [0.0, 1.5, -0.1])
def test_it_refuses_a_bioavailability_outside_zero_to_one(f):
    with pytest.raises(ValueError, match="bioavailability must be in"):
        Dose("oral", 10.0, 0.0, bioavailability=f)


def test_it_refuses_a_non_positive_ka():
    with pytest.raises(ValueError, match="ka_per_min must be a positive rate"):
        Dose("im", 10.0, 0.0, ka_per_min=0.0)


def test_it_refuses_bioavailability_or_ka_on_an_iv_dose():
    with pytest.raises(ValueError, match="iv dose is fully available"):
        Dose("iv", 10.0, 0.0, bioavailability=0.5)


def test_it_refuses_esketamine_amounts_that_are_not_whole_devices():
    with pytest.raises(ValueError, match="whole 28 mg devices"):
        Dose("esketamine_nasal", 50.0, 0.0)


def test_it_refuses_a_device_interval_on_other_routes():
    with pytest.raises(ValueError, match="device_interval_min applies only"):
        Dose("iv", 10.0, 0.0, device_interval_min=5.0)


def test_it_refuses_absorption_overrides_for_esketamine_nasal():
    with pytest.raises(ValueError, match="cannot be overridden"):
        Dose("esketamine_nasal", 56.0, 0.0, bioavailability=0.5)


def test_it_refuses_a_duration_on_esketamine_oral_solution():
    with pytest.raises(ValueError, match="duration_min must be 0"):
        simulate("perez_ruixo2021", 70.0, [Dose("oral", 84.0, 0.0, 10.0)], [0, 10])


def test_it_refuses_an_unknown_option_and_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown option 'scaling' for model kamp2020; allowed"):
        simulate("kamp2020", 70.0, INFUSION, [0, 10], options={"scaling": "linear"})


def test_it_refuses_an_option_value_outside_its_choices():
    with pytest.raises(ValueError, match="allowed values: allometric, linear"):
        simulate("kamp2020", 70.0, INFUSION, [0, 10], options={"weight_scaling": "cubic"})


def test_a_parameter_can_be_overridden_in_its_published_unit():
    base = simulate("kamp2020", 70.0, INFUSION, [240.0])[0]
    faster = simulate("kamp2020", 70.0, INFUSION, [240.0], options={"cl": 120.0})[0]
    assert faster < base


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_end_min": 0.0}, "t_end_min must be"),
        ({"t_end_min": 60.0, "threshold_ng_ml": -1.0}, "threshold"),
    ],
)
def test_exposure_refuses_a_bad_window_or_threshold(kwargs, message):
    with pytest.raises(ValueError, match=message):
        exposure("kamp2020", 70.0, INFUSION, **kwargs)


def test_a_dose_before_the_first_time_point_is_not_lost():
    conc = simulate("kamp2020", 70.0, [Dose("iv", 20.0, 0.0)], np.array([30.0, 60.0]))
    assert np.all(conc > 0)
