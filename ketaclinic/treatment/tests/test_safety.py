"""``ketaclinic.treatment.safety``: the public, pure rules module a clinic validates with."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.treatment import safety
from ketaclinic.treatment.domain.library import (
    ESKETAMINE_TRD,
    IV_RACEMIC_DEPRESSION,
    SHIPPED_PROTOCOLS,
)

D = Decimal


def test_iv_half_a_mg_per_kg_at_70_kg_is_35_mg_over_40_minutes() -> None:
    check = safety.dose_check("iv_racemic_depression", weight_kg=70, amount="0.5")
    assert check.verdict == "ok"
    assert check.dose_mg == D("35")
    assert check.rate_mg_per_h == D("52.5")
    assert check.volume_ml is None and check.messages == ()


def test_iv_above_the_studied_range_needs_an_override_up_to_one_mg_per_kg() -> None:
    for amount in ("0.8", "1.0"):
        check = safety.dose_check("iv_racemic_depression", weight_kg=70, amount=amount)
        assert check.verdict == "override_required", amount
        assert "0.1-0.75 mg/kg" in check.messages[0]


def test_iv_above_one_mg_per_kg_is_refused_naming_the_ceiling() -> None:
    check = safety.dose_check("iv_racemic_depression", weight_kg=70, amount="1.01")
    assert check.verdict == "refused"
    assert "at most 1.0 mg/kg per session" in check.messages[0]


def test_the_final_concentration_gives_the_volume_and_the_pump_rate() -> None:
    check = safety.dose_check(
        "iv_racemic_depression", weight_kg=70, amount="0.5", final_concentration_mg_per_ml="1"
    )
    assert (check.dose_mg, check.volume_ml, check.rate_ml_per_h) == (D("35"), D("35"), D("52.5"))


@pytest.mark.parametrize("final", ["100", "60"])
def test_an_undiluted_vial_is_never_an_iv_final_concentration(final: str) -> None:
    check = safety.dose_check(
        "iv_racemic_depression", weight_kg=70, amount="0.5", final_concentration_mg_per_ml=final
    )
    assert check.verdict == "refused"
    assert "at most 50 mg/mL" in check.messages[0]


def test_crps_is_a_third_of_a_mg_per_kg_per_hour_capped_at_25_mg_per_hour() -> None:
    light = safety.dose_check("iv_racemic_crps", weight_kg=70, amount="0.35")
    assert (light.verdict, light.rate_mg_per_h, light.dose_mg) == ("ok", D("24.5"), D("98"))
    heavy = safety.dose_check("iv_racemic_crps", weight_kg=100, amount="0.35")
    assert (heavy.verdict, heavy.rate_mg_per_h, heavy.dose_mg) == ("ok", D("25"), D("100"))
    assert any("capped at 25 mg/h" in m for m in heavy.messages)


def test_esketamine_84_mg_is_the_ceiling() -> None:
    assert safety.dose_check("esketamine_trd", weight_kg=None, amount=84).verdict == "ok"
    over = safety.dose_check("esketamine_trd", weight_kg=None, amount=112)
    assert over.verdict == "refused" and "at most 84 mg per session" in over.messages[0]
    assert safety.dose_check("esketamine_trd", weight_kg=None, amount=70).verdict == "refused"


def test_esketamine_course_rules_apply_when_the_prior_doses_are_given() -> None:
    first = safety.dose_check("esketamine_trd", weight_kg=None, amount=84, prior_doses_mg=[])
    assert first.verdict == "refused" and "after a first 56 mg" in first.messages[0]
    later = safety.dose_check("esketamine_trd", weight_kg=None, amount=84, prior_doses_mg=[D(56)])
    assert later.verdict == "ok"


def test_severe_hepatic_impairment_needs_an_override_for_esketamine_only() -> None:
    esk = safety.dose_check(
        "esketamine_trd", weight_kg=None, amount=56, hepatic_impairment="severe"
    )
    assert esk.verdict == "override_required" and "PI 8.6" in esk.messages[-1]
    iv = safety.dose_check(
        "iv_racemic_depression", weight_kg=70, amount="0.5", hepatic_impairment="severe"
    )
    assert iv.verdict == "ok"


def test_moderate_hepatic_impairment_lengthens_the_esketamine_observation() -> None:
    assert safety.observation_minutes(ESKETAMINE_TRD, "none") == 120
    assert safety.observation_minutes(ESKETAMINE_TRD, "moderate") == 180
    assert safety.observation_minutes(IV_RACEMIC_DEPRESSION, "moderate") == 80


def test_im_above_half_a_mg_per_kg_is_an_override_and_one_mg_per_kg_is_refused() -> None:
    assert safety.dose_check("im_racemic_depression", weight_kg=70, amount="0.5").verdict == "ok"
    over = safety.dose_check("im_racemic_depression", weight_kg=70, amount="0.6")
    assert over.verdict == "override_required"
    assert safety.dose_check("im_racemic_depression", weight_kg=70, amount="1").verdict == (
        "refused"
    )


def test_an_unknown_protocol_code_names_the_shipped_ones() -> None:
    with pytest.raises(ValueError, match="iv_racemic_depression"):
        safety.dose_check("iv_56_mg_per_kg", weight_kg=70, amount=1)


def test_a_weight_based_dose_without_a_weight_is_refused_not_guessed() -> None:
    check = safety.dose_check("iv_racemic_depression", weight_kg=None, amount="0.5")
    assert check.verdict == "refused" and check.dose_mg is None


@settings(max_examples=200, deadline=None)
@given(
    code=st.sampled_from(
        [
            "iv_racemic_depression",
            "iv_racemic_crps",
            "im_racemic_depression",
            "oral_racemic_depression",
        ]
    ),
    weight=st.decimals(min_value=20, max_value=350, places=1),
    amount=st.decimals(min_value=D("0.01"), max_value=D("50"), places=2),
)
def test_a_dose_check_never_says_ok_above_the_protocols_cap(
    code: str, weight: Decimal, amount: Decimal
) -> None:
    check = safety.dose_check(code, weight_kg=weight, amount=amount)
    if amount > SHIPPED_PROTOCOLS[code].dose.cap:
        assert check.verdict == "refused"
    if check.verdict != "refused":
        assert check.dose_mg is not None
