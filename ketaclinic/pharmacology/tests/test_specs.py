"""Command-line dose and time specifications (the parsing behind `pk simulate`)."""

import numpy as np
import pytest

from ketaclinic.pharmacology import Dose
from ketaclinic.pharmacology.specs import SpecError, parse_dose_spec, parse_times_spec, simulate_csv


def test_it_parses_an_infusion():
    assert parse_dose_spec("iv:35mg:0:40") == Dose("iv", 35.0, 0.0, 40.0)


def test_it_parses_a_bolus_without_a_duration_and_without_the_mg_suffix():
    assert parse_dose_spec("iv:20:15") == Dose("iv", 20.0, 15.0)


def test_it_parses_absorption_overrides():
    dose = parse_dose_spec("im:35mg:0:f=0.9:ka=0.12")
    assert dose == Dose("im", 35.0, 0.0, bioavailability=0.9, ka_per_min=0.12)


def test_it_parses_an_esketamine_device_interval():
    dose = parse_dose_spec("esketamine_nasal:84mg:0:interval=5")
    assert dose == Dose("esketamine_nasal", 84.0, 0.0, device_interval_min=5.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("iv:35mg", "expected ROUTE:AMOUNTmg:START"),
        (
            "drip:35mg:0",
            "unknown route 'drip'; allowed: iv, im, oral, intranasal, esketamine_nasal",
        ),
        ("iv:lots:0", "amount 'lots' is not a number"),
        ("iv:0mg:0", "dose must be a positive number of mg"),
        ("im:35mg:0:speed=2", "unknown key 'speed'; allowed keys: f, ka, interval"),
        ("iv:35mg:0:40:50", "unexpected part '50'"),
        ("esketamine_nasal:50mg:0", "whole 28 mg devices"),
    ],
)
def test_a_bad_dose_names_the_argument_and_what_is_allowed(spec, message):
    with pytest.raises(SpecError, match="--dose") as caught:
        parse_dose_spec(spec)
    assert message in str(caught.value)


def test_it_parses_an_inclusive_time_grid():
    np.testing.assert_array_equal(parse_times_spec("0:240:5"), np.arange(0.0, 241.0, 5.0))


def test_it_parses_a_time_list():
    np.testing.assert_array_equal(parse_times_spec("0,5,12.5"), [0.0, 5.0, 12.5])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0:240", "expected START:STOP:STEP"),
        ("0:240:0", "STEP must be > 0"),
        ("10:0:5", "STOP >= START"),
        ("0,10,5", "strictly increasing"),
        ("0:1e9:1e-3", "more than 100000 time points"),
        ("a,b", "is not a number"),
    ],
)
def test_bad_times_name_the_argument(spec, message):
    with pytest.raises(SpecError, match="--times") as caught:
        parse_times_spec(spec)
    assert message in str(caught.value)


def test_it_writes_the_simulation_as_csv():
    csv = simulate_csv("kamp2020", "70", ["iv:35mg:0:40"], "0:240:5")
    lines = csv.splitlines()
    assert lines[0] == "time_min,conc_ng_ml"
    assert len(lines) == 1 + 49
    assert lines[1] == "0,0.0000"
    assert "40,253.0518" in lines
    assert lines[-1] == "240,25.6208"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("marsh", "70", ["iv:35mg:0"], "0:10:5"),
            "--model 'marsh': unknown model; allowed: kamp2020",
        ),
        (
            ("kamp2020", "300", ["iv:35mg:0"], "0:10:5"),
            "--weight '300': weight must be between 20 and 250 kg",
        ),
        (
            ("kamp2020", "heavy", ["iv:35mg:0"], "0:10:5"),
            "--weight 'heavy': weight 'heavy' is not a number",
        ),
        (("kamp2020", "70", [], "0:10:5"), "--dose: at least one dose"),
        (
            ("kamp2020", "70", ["esketamine_nasal:28mg:0"], "0:10:5"),
            "model kamp2020 cannot take it; allowed: iv, im",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_the_allowed_values(args, message):
    with pytest.raises(SpecError) as caught:
        simulate_csv(*args)
    assert message in str(caught.value)
