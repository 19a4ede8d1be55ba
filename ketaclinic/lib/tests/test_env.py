from __future__ import annotations

import pytest

from ketaclinic.lib.env import SettingError, envbool, envint, envlist, envsecret


def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("KC_FLAG", raw)
        assert envbool("KC_FLAG", not expected) is expected


def test_an_unset_boolean_takes_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KC_FLAG", raising=False)
    assert envbool("KC_FLAG", True) is True


def test_a_malformed_boolean_names_the_variable_and_the_allowed_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KC_FLAG", "maybe")
    with pytest.raises(SettingError, match=r"KC_FLAG='maybe'.*true"):
        envbool("KC_FLAG", False)


def test_integers_are_range_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_N", "5")
    assert envint("KC_N", 1, minimum=1) == 5
    monkeypatch.setenv("KC_N", "0")
    with pytest.raises(SettingError, match="below the minimum 1"):
        envint("KC_N", 1, minimum=1)
    monkeypatch.setenv("KC_N", "ten")
    with pytest.raises(SettingError, match="not a whole number"):
        envint("KC_N", 1)


def test_lists_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_HOSTS", "a.example, b.example,")
    assert envlist("KC_HOSTS", []) == ["a.example", "b.example"]


def test_a_secret_is_read_from_its_file_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    secret_file = tmp_path / "key"  # type: ignore[operator]
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("KC_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("KC_SECRET", "from-env")
    assert envsecret("KC_SECRET") == "from-file"
    monkeypatch.setenv("KC_SECRET_FILE", str(secret_file) + ".missing")
    with pytest.raises(SettingError, match="cannot be read"):
        envsecret("KC_SECRET")
