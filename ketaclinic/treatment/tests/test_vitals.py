"""The public vital-sign rules (``domain/vitals.py``): absolute limits whatever the baseline,
the boundary of every rule, and a source on every finding."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain.library import ESKETAMINE_TRD, SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.vitals import (
    Finding,
    Vitals,
    findings_for,
    reading_findings,
)

CODES = sorted(SHIPPED_PROTOCOLS)
protocols = st.sampled_from(CODES)


def _vitals() -> st.SearchStrategy[Vitals]:
    """Any plausible set of readings (the ranges of monitoring.PLAUSIBLE_RANGES), any missing."""
    return st.builds(
        Vitals,
        systolic=st.none() | st.integers(40, 300),
        diastolic=st.none() | st.integers(10, 200),
        heart_rate=st.none() | st.integers(10, 300),
        spo2=st.none() | st.integers(1, 100),
        respiratory_rate=st.none() | st.integers(1, 80),
        moaa_s=st.none() | st.integers(0, 5),
        cadss=st.none() | st.integers(0, 92),
    )


def _critical(findings: list[Finding], code: str) -> bool:
    return any(f.code == code and f.severity == "critical" for f in findings)


@given(code=protocols, baseline=_vitals(), reading=_vitals(), systolic=st.integers(181, 300))
def test_a_systolic_above_180_is_critical_whatever_the_baseline(
    code: str, baseline: Vitals, reading: Vitals, systolic: int
) -> None:
    found = reading_findings(code, baseline=baseline, reading=replace(reading, systolic=systolic))
    assert _critical(found, "hypertensive_crisis")


@given(code=protocols, baseline=_vitals(), reading=_vitals(), diastolic=st.integers(121, 200))
def test_a_diastolic_above_120_is_critical_whatever_the_baseline(
    code: str, baseline: Vitals, reading: Vitals, diastolic: int
) -> None:
    found = reading_findings(code, baseline=baseline, reading=replace(reading, diastolic=diastolic))
    assert _critical(found, "hypertensive_crisis")


@given(code=protocols, baseline=_vitals(), reading=_vitals(), spo2=st.integers(1, 89))
def test_an_spo2_below_90_is_critical_whatever_the_baseline(
    code: str, baseline: Vitals, reading: Vitals, spo2: int
) -> None:
    found = reading_findings(code, baseline=baseline, reading=replace(reading, spo2=spo2))
    assert _critical(found, "spo2_low")


@given(code=protocols, baseline=_vitals(), reading=_vitals(), rate=st.integers(1, 7))
def test_a_respiratory_rate_below_8_is_critical_whatever_the_baseline(
    code: str, baseline: Vitals, reading: Vitals, rate: int
) -> None:
    found = reading_findings(
        code, baseline=baseline, reading=replace(reading, respiratory_rate=rate)
    )
    assert _critical(found, "respiratory_rate_low")


@given(code=protocols, baseline=_vitals(), reading=_vitals())
def test_moaa_s_0_is_critical_whatever_the_baseline(
    code: str, baseline: Vitals, reading: Vitals
) -> None:
    found = reading_findings(code, baseline=baseline, reading=replace(reading, moaa_s=0))
    assert _critical(found, "loss_of_consciousness")


@given(code=protocols, baseline=_vitals(), reading=_vitals())
def test_every_finding_names_its_source_and_critical_ones_come_first(
    code: str, baseline: Vitals, reading: Vitals
) -> None:
    found = reading_findings(code, baseline=baseline, reading=reading)
    assert all(f.source.strip() and f.message.strip() for f in found)
    assert all(f.severity in ("info", "warning", "critical") for f in found)
    ranks = [{"critical": 0, "warning": 1, "info": 2}[f.severity] for f in found]
    assert ranks == sorted(ranks)


@given(code=protocols, baseline=_vitals())
def test_an_empty_reading_finds_nothing(code: str, baseline: Vitals) -> None:
    assert reading_findings(code, baseline=baseline, reading=Vitals()) == []


# ---------------------------------------------------------------------------------------------
# Boundaries of each rule


@pytest.mark.parametrize(
    ("systolic", "diastolic", "crisis"),
    [(180, 120, False), (181, 80, True), (150, 121, True), (189, 119, True), (180, 121, True)],
)
def test_the_crisis_boundary_is_above_180_or_above_120(
    systolic: int, diastolic: int, crisis: bool
) -> None:
    found = reading_findings(
        "esketamine_trd",
        baseline=Vitals(systolic=150, diastolic=95),
        reading=Vitals(systolic=systolic, diastolic=diastolic),
    )
    assert _critical(found, "hypertensive_crisis") is crisis


def test_189_over_119_after_150_over_95_is_a_crisis_but_not_a_rise() -> None:
    """The issue's own example: a rise of 39/24 stays under the rise rule, the crisis rule
    catches it."""
    found = reading_findings(
        "esketamine_trd",
        baseline=Vitals(systolic=150, diastolic=95),
        reading=Vitals(systolic=189, diastolic=119),
    )
    assert [f.code for f in found] == ["hypertensive_crisis"]
    assert "ACC/AHA" in found[0].source


@pytest.mark.parametrize(
    ("systolic", "diastolic", "rise"),
    [(167, 104, False), (168, 90, True), (140, 105, True), (167, 105, True)],
)
def test_the_rise_rule_is_40_systolic_or_25_diastolic(
    systolic: int, diastolic: int, rise: bool
) -> None:
    found = reading_findings(
        "iv_racemic_depression",
        baseline=Vitals(systolic=128, diastolic=80),
        reading=Vitals(systolic=systolic, diastolic=diastolic),
    )
    assert any(f.code == "bp_rise" and f.severity == "warning" for f in found) is rise


def test_a_rise_is_judged_on_the_values_present() -> None:
    found = reading_findings(
        "esketamine_trd", baseline=Vitals(systolic=120), reading=Vitals(systolic=160)
    )
    assert [f.code for f in found] == ["bp_rise"]


@pytest.mark.parametrize(("spo2", "critical"), [(89, True), (90, False)])
def test_the_spo2_boundary_is_90_when_the_protocol_says_90(spo2: int, critical: bool) -> None:
    t = replace(ESKETAMINE_TRD.thresholds, spo2_min_percent=90)
    found = findings_for(t, baseline=Vitals(), reading=Vitals(spo2=spo2))
    assert _critical(found, "spo2_low") is critical


def test_a_protocol_may_be_stricter_about_spo2_but_never_looser() -> None:
    strict = replace(ESKETAMINE_TRD.thresholds, spo2_min_percent=94)
    (f,) = findings_for(strict, baseline=Vitals(), reading=Vitals(spo2=93))
    assert f.code == "spo2_low" and "protocol" in f.source
    loose = replace(ESKETAMINE_TRD.thresholds, spo2_min_percent=80)
    assert _critical(findings_for(loose, baseline=Vitals(), reading=Vitals(spo2=89)), "spo2_low")


def test_an_spo2_drop_from_pre_dose_is_a_warning() -> None:
    found = reading_findings("esketamine_trd", baseline=Vitals(spo2=99), reading=Vitals(spo2=95))
    assert [(f.code, f.severity) for f in found] == [("spo2_drop", "warning")]
    ok = reading_findings("esketamine_trd", baseline=Vitals(spo2=99), reading=Vitals(spo2=96))
    assert ok == []


@pytest.mark.parametrize(("rate", "critical"), [(7, True), (8, False), (30, False)])
def test_the_respiratory_rate_default_limit_is_8(rate: int, critical: bool) -> None:
    found = reading_findings(
        "esketamine_trd", baseline=Vitals(), reading=Vitals(respiratory_rate=rate)
    )
    assert _critical(found, "respiratory_rate_low") is critical


def test_a_protocol_may_raise_the_respiratory_limit_but_not_lower_it() -> None:
    t = ESKETAMINE_TRD.thresholds
    ten = replace(t, respiratory_rate_min_per_min=10)
    assert _critical(
        findings_for(ten, baseline=Vitals(), reading=Vitals(respiratory_rate=9)),
        "respiratory_rate_low",
    )
    four = replace(t, respiratory_rate_min_per_min=4)
    assert _critical(
        findings_for(four, baseline=Vitals(), reading=Vitals(respiratory_rate=7)),
        "respiratory_rate_low",
    )


@pytest.mark.parametrize(
    ("base", "value", "code"),
    [(5, 4, "sedation"), (4, 4, None), (3, 4, None), (None, 4, "sedation"), (None, 5, None)],
)
def test_any_moaa_s_drop_is_a_warning(base: int | None, value: int, code: str | None) -> None:
    found = reading_findings(
        "esketamine_trd", baseline=Vitals(moaa_s=base), reading=Vitals(moaa_s=value)
    )
    assert [f.code for f in found] == ([code] if code else [])
    assert all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(("rate", "code"), [(49, "heart_rate_low"), (50, None), (120, None)])
def test_heart_rate_limits_are_the_protocols(rate: int, code: str | None) -> None:
    found = reading_findings("esketamine_trd", baseline=Vitals(), reading=Vitals(heart_rate=rate))
    assert [f.code for f in found] == ([code] if code else [])
    high = reading_findings("esketamine_trd", baseline=Vitals(), reading=Vitals(heart_rate=121))
    assert [f.code for f in high] == ["heart_rate_high"]


@pytest.mark.parametrize(("cadss", "dissociation"), [(4, False), (5, True)])
def test_dissociation_is_cadss_above_4(cadss: int, dissociation: bool) -> None:
    found = reading_findings("esketamine_trd", baseline=Vitals(), reading=Vitals(cadss=cadss))
    assert [(f.code, f.severity) for f in found] == (
        [("dissociation", "info")] if dissociation else []
    )


def test_an_unknown_protocol_code_names_the_shipped_ones() -> None:
    with pytest.raises(KeyError, match="esketamine_trd"):
        reading_findings("no_such_protocol", baseline=Vitals(), reading=Vitals())
