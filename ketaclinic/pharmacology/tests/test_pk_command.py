"""`ketaclinic pk simulate` through Django's call_command (no database needed)."""

import os
from io import StringIO

import django
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture(autouse=True, scope="module")
def _django():
    # Under pytest-django the settings are already configured; with -p no:django, set them up here.
    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
        django.setup()


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("pk", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_kamp_infusion_as_csv():
    out, err = run(
        "simulate",
        "--model",
        "kamp2020",
        "--weight",
        "70",
        "--dose",
        "iv:35mg:0:40",
        "--times",
        "0:240:5",
    )
    lines = out.splitlines()
    assert lines[0] == "time_min,conc_ng_ml"
    assert "40,253.0518" in lines
    assert len(lines) == 50
    assert err == ""


def test_it_adds_repeated_doses_and_reports_population_warnings_on_stderr():
    out, err = run(
        "simulate",
        "--model",
        "herd2007",
        "--weight",
        "70",
        "--dose",
        "iv:10mg:0",
        "--dose",
        "iv:10mg:0",
        "--times",
        "0,5",
    )
    single, _ = run(
        "simulate", "--model", "herd2007", "--weight", "70", "--dose", "iv:20mg:0", "--times", "0,5"
    )
    assert out == single
    assert "children aged 1-14" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "marsh"], "--model 'marsh': unknown model; allowed: kamp2020"),
        (["--weight", "10"], "--weight '10': weight must be between 20 and 250 kg"),
        (["--dose", "drip:35mg:0"], "allowed: iv, im, oral, intranasal, esketamine_nasal"),
        (["--times", "0:240"], "--times '0:240': expected START:STOP:STEP"),
    ],
)
def test_bad_arguments_raise_a_command_error_naming_the_argument(args, message):
    base = {"--model": "kamp2020", "--weight": "70", "--dose": "iv:35mg:0:40", "--times": "0:60:5"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError) as caught:
        run("simulate", *flat)
    assert message in str(caught.value)
