"""`ketaclinic serve --production` refuses a configuration unfit to serve patients, naming what
to fix, and accepts a good one (issue 15). Each case runs the real console command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = {
    "KETACLINIC_DEPLOY": "true",
    "KETACLINIC_SECRET_KEY": "k3y-" + "x7Qp9zLm2vRt8wYc4bNf6hJd1sGa5eUo0iKl3" * 2,
    "KETACLINIC_ALLOWED_HOSTS": "clinic.example.org",
    "KETACLINIC_AUDIT_SEAL_KEYS": "k1:" + "s3aL" * 10,
}


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "ketaclinic"
    clean = {
        k: v
        for k, v in os.environ.items()
        # The browser tests' worker sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a real
        # deployment never has it (check --deploy refuses it), so the command runs without.
        if not k.startswith("KETACLINIC_")
        and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    clean["KETACLINIC_VAR_DIR"] = str(tmp_path)
    clean.update(env)
    return subprocess.run(  # noqa: S603  (our own console command, fixed arguments)
        [str(command), "serve", "--production", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_production_configuration_passes_the_check(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--check", **GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fit to serve" in result.stdout


def test_a_secret_key_from_a_file_is_accepted(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key_file"
    key_file.write_text(GOOD["KETACLINIC_SECRET_KEY"] + "\n", encoding="utf-8")
    env = {k: v for k, v in GOOD.items() if k != "KETACLINIC_SECRET_KEY"}
    result = _serve(tmp_path, "--check", KETACLINIC_SECRET_KEY_FILE=str(key_file), **env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"KETACLINIC_DEBUG": "true"}, "KETACLINIC_DEBUG"),
        ({"KETACLINIC_DEPLOY": "false"}, "KETACLINIC_DEPLOY"),
        ({"KETACLINIC_ALLOWED_HOSTS": "*"}, "KETACLINIC_ALLOWED_HOSTS"),
        ({"KETACLINIC_SECRET_KEY": "short-key"}, "KETACLINIC_SECRET_KEY"),
        ({"KETACLINIC_HTTPS": "false"}, "SESSION_COOKIE_SECURE"),  # from 'check --deploy'
    ],
)
def test_an_unfit_configuration_is_refused_naming_the_setting(
    tmp_path: Path, change: dict[str, str], named: str
) -> None:
    result = _serve(tmp_path, **{**GOOD, **change})
    assert result.returncode != 0
    assert "refusing to serve in production" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize("missing", ["KETACLINIC_SECRET_KEY", "KETACLINIC_ALLOWED_HOSTS"])
def test_production_without_a_secret_key_or_hosts_does_not_start(
    tmp_path: Path, missing: str
) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _serve(tmp_path, **env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no silent fallback to a generated key


def test_without_deploy_mode_nothing_is_generated_for_production(tmp_path: Path) -> None:
    result = _serve(tmp_path)
    assert result.returncode != 0
    assert "KETACLINIC_DEPLOY" in result.stderr
    assert "KETACLINIC_SECRET_KEY" in result.stderr
