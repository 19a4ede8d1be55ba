"""The log scan (tests/log_scan.py) fails a run whose log lines carry a secret (issue 15): shown
on a small pytest run in a subprocess, with two xdist workers, each finding its own leak."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LEAKY = """
import logging

import pytest

from ketaclinic import testing

log = logging.getLogger("ketaclinic.demo")


@pytest.mark.django_db
def test_logs_a_patient_name() -> None:
    clinic = testing.make_clinic("leak", "Leak Clinic")
    nurse = testing.make_member(clinic, "leaky-nurse", "nurse")
    patient = testing.patient_maker()(nurse, given_name="Zenobia", family_name="Quillfeather")
    log.warning("looked up %s", patient.family_name)


def test_logs_a_bearer_token() -> None:
    log.error("request with Authorization: Bearer kc_abcdefghijklmnop0123456789")
"""

CLEAN = """
import logging

import pytest

from ketaclinic import testing


@pytest.mark.django_db
def test_logs_ids_only() -> None:
    clinic = testing.make_clinic("clean", "Clean Clinic")
    nurse = testing.make_member(clinic, "careful-nurse", "nurse")
    patient = testing.patient_maker()(nurse, given_name="Zenobia", family_name="Quillfeather")
    logging.getLogger("ketaclinic.demo").warning("looked up patient %s", patient.pk)
"""


def _pytest(tmp_path: Path, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_sample.py"
    test_file.write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"  # never the outer run's database
    env["KETACLINIC_VAR_DIR"] = str(tmp_path / "var")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "tests.log_scan"]
    argv += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), *extra, str(test_file)]
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_a_run_whose_logs_carry_a_patient_name_or_a_token_fails(tmp_path: Path) -> None:
    run = _pytest(tmp_path, LEAKY, "-n", "2")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "log-scan" in run.stdout
    assert "logger 'ketaclinic.demo' wrote a patient's family name" in run.stdout
    assert "logger 'ketaclinic.demo' wrote a bearer token" in run.stdout
    assert "2 passed" in run.stdout  # the tests themselves passed: the scan failed the run
    # The report names the kind of secret, never the secret itself.
    assert "Quillfeather" not in run.stdout and "kc_abcdefghijklmnop" not in run.stdout


def test_a_run_that_logs_ids_only_passes(tmp_path: Path) -> None:
    run = _pytest(tmp_path, CLEAN)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "log-scan" not in run.stdout
