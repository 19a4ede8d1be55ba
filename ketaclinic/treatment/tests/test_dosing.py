"""Dose arithmetic: units, rounding to a measurable volume, range, cap, esketamine devices."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain.dose_plan import plan_fixed_dose, plan_weight_based_dose
from ketaclinic.treatment.domain.dosing import (
    DoseError,
    DoseRefusedError,
    OverrideRequiredError,
    Verdict,
    accept_dose,
    check_device_timing,
    check_dose_range,
    check_esketamine_dose,
    check_weight_age,
    device_times,
    dose_mg_from_rule,
    esketamine_device_count,
    esketamine_dose_to_give,
    infusion_rate_ml_per_h,
    max_dose_mg,
    override_subject,
    pounds_to_kg,
    round_volume,
)
from ketaclinic.treatment.domain.library import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IV_RACEMIC_CRPS,
    IV_RACEMIC_DEPRESSION,
    ORAL_RACEMIC_DEPRESSION,
)
from ketaclinic.treatment.domain.protocol import DoseBasis

D = Decimal
NOW = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
assert ESKETAMINE_TRD.devices is not None
DEVICES = ESKETAMINE_TRD.devices


# ---------------------------------------------------------------------------------------------
# Units and weight


def test_it_converts_pounds_to_kilograms_with_the_exact_factor() -> None:
    assert pounds_to_kg(D("154")) == D("69.85")  # 154 x 0.45359237 = 69.853...
    assert pounds_to_kg(D("220.462")) == D("100.00")


def test_it_refuses_a_zero_weight_in_pounds() -> None:
    with pytest.raises(DoseError, match="weight_lb"):
        pounds_to_kg(D("0"))


def test_a_weight_measured_30_days_ago_is_still_usable() -> None:
    check = check_weight_age(measured_at=NOW - dt.timedelta(days=30), now=NOW, max_age_days=30)
    assert check.usable


def test_a_weight_older_than_the_protocol_allows_must_be_measured_again() -> None:
    measured = NOW - dt.timedelta(days=30, seconds=1)
    check = check_weight_age(measured_at=measured, now=NOW, max_age_days=30)
    assert not check.usable
    assert "Weigh the patient again" in check.message


def test_it_refuses_a_naive_weight_timestamp() -> None:
    with pytest.raises(DoseError, match="measured_at"):
        check_weight_age(measured_at=dt.datetime(2026, 3, 1), now=NOW, max_age_days=30)  # noqa: DTZ001


def test_it_refuses_a_weight_measured_in_the_future() -> None:
    with pytest.raises(DoseError, match="future"):
        check_weight_age(measured_at=NOW + dt.timedelta(hours=1), now=NOW, max_age_days=30)


def test_it_refuses_an_implausible_weight() -> None:
    with pytest.raises(DoseError, match="weight_kg"):
        dose_mg_from_rule(IV_RACEMIC_DEPRESSION.dose, weight_kg=D("7.0"))


# ---------------------------------------------------------------------------------------------
# mg from the rule


def test_half_a_mg_per_kg_for_70_kg_is_35_mg() -> None:
    assert dose_mg_from_rule(IV_RACEMIC_DEPRESSION.dose, weight_kg=D("70")) == D("35.0")


def test_a_rate_based_dose_multiplies_rate_weight_and_hours() -> None:
    # 0.35 mg/kg/h x 70 kg x 4 h = 98 mg
    mg = dose_mg_from_rule(IV_RACEMIC_CRPS.dose, weight_kg=D("70"), infusion_minutes=240)
    assert mg == D("98")


def test_a_rate_based_dose_needs_a_duration() -> None:
    with pytest.raises(DoseError, match="infusion_minutes"):
        dose_mg_from_rule(IV_RACEMIC_CRPS.dose, weight_kg=D("70"))


def test_a_weight_based_dose_needs_a_weight() -> None:
    with pytest.raises(DoseError, match="weight_kg"):
        dose_mg_from_rule(IV_RACEMIC_DEPRESSION.dose, weight_kg=None)


# ---------------------------------------------------------------------------------------------
# Range and cap


def test_a_dose_within_the_range_is_accepted_without_override() -> None:
    check = check_dose_range(IV_RACEMIC_DEPRESSION.dose, dose_mg=D("35"), weight_kg=D("70"))
    assert check.verdict is Verdict.WITHIN_RANGE
    accept_dose(check, override_reason=None)


def test_a_dose_below_the_range_needs_a_prescriber_override_with_a_reason() -> None:
    check = check_dose_range(IV_RACEMIC_DEPRESSION.dose, dose_mg=D("5"), weight_kg=D("70"))
    assert check.verdict is Verdict.NEEDS_OVERRIDE
    with pytest.raises(OverrideRequiredError):
        accept_dose(check, override_reason="  ")
    accept_dose(check, override_reason="Tolerability: nausea at 0.1 mg/kg last session")


def test_a_dose_above_the_cap_is_refused_even_with_a_reason() -> None:
    # 1.0 mg/kg cap x 70 kg = 70 mg; 70.1 mg is above it.
    check = check_dose_range(IV_RACEMIC_DEPRESSION.dose, dose_mg=D("70.1"), weight_kg=D("70"))
    assert check.verdict is Verdict.REFUSED
    with pytest.raises(DoseRefusedError):
        accept_dose(check, override_reason="prescriber insists")


def test_a_dose_exactly_at_the_cap_is_not_refused() -> None:
    # 1.0 mg/kg: the cap (and the ceiling); above the studied 0.75 mg/kg it needs an override.
    check = check_dose_range(IV_RACEMIC_DEPRESSION.dose, dose_mg=D("70"), weight_kg=D("70"))
    assert check.verdict is Verdict.NEEDS_OVERRIDE


def test_outside_range_but_under_cap_needs_override() -> None:
    dose = replace(IV_RACEMIC_DEPRESSION.dose, maximum=D("0.75"))
    check = check_dose_range(dose, dose_mg=D("63"), weight_kg=D("70"))  # 0.9 mg/kg
    assert check.verdict is Verdict.NEEDS_OVERRIDE
    assert "0.9" in check.message


def test_the_total_mg_cap_refuses_a_heavy_patients_oral_dose() -> None:
    # 2.5 mg/kg x 130 kg = 325 mg is under the mg/kg cap, above the 300 mg session cap.
    check = check_dose_range(ORAL_RACEMIC_DEPRESSION.dose, dose_mg=D("325"), weight_kg=D("130"))
    assert check.verdict is Verdict.REFUSED
    assert "300 mg" in check.message
    assert max_dose_mg(ORAL_RACEMIC_DEPRESSION.dose, weight_kg=D("130")) == D("300")


# ---------------------------------------------------------------------------------------------
# Volume, rounding and rate


def test_the_volume_is_rounded_to_the_nearest_tenth_of_a_ml_and_the_rounded_dose_reported() -> None:
    # 36.4 mg at 10 mg/mL = 3.64 mL -> 3.6 mL -> 36 mg really given
    r = round_volume(D("36.4"), concentration_mg_per_ml=D("10"))
    assert (r.volume_ml, r.dose_mg, r.rounded_down_for_cap) == (D("3.6"), D("36.0"), False)


def test_a_half_increment_rounds_up() -> None:
    r = round_volume(D("36.5"), concentration_mg_per_ml=D("10"))
    assert r.volume_ml == D("3.7")


def test_the_increment_is_configurable() -> None:
    r = round_volume(D("36.4"), concentration_mg_per_ml=D("10"), increment_ml=D("0.5"))
    assert (r.volume_ml, r.dose_mg) == (D("3.5"), D("35.0"))


def test_rounding_up_past_the_cap_rounds_down_instead() -> None:
    # 69.96 mg at 10 mg/mL = 6.996 mL -> 7.0 mL = 70 mg; cap 69.98 mg -> 6.9 mL
    r = round_volume(D("69.96"), concentration_mg_per_ml=D("10"), max_dose_mg=D("69.98"))
    assert (r.volume_ml, r.dose_mg, r.rounded_down_for_cap) == (D("6.9"), D("69.0"), True)


def test_a_dose_too_small_to_measure_is_refused() -> None:
    with pytest.raises(DoseError, match="smallest measurable"):
        round_volume(D("0.4"), concentration_mg_per_ml=D("10"))


def test_a_zero_concentration_is_refused_naming_the_field() -> None:
    with pytest.raises(DoseError, match="concentration_mg_per_ml"):
        round_volume(D("35"), concentration_mg_per_ml=D("0"))


def test_the_pump_rate_is_the_volume_per_hour() -> None:
    # 3.5 mL over 40 min = 5.25 mL/h -> 5.3 mL/h
    assert infusion_rate_ml_per_h(D("3.5"), infusion_minutes=40) == D("5.3")
    # 100 mL bag over 40 min = 150 mL/h
    assert infusion_rate_ml_per_h(D("100"), infusion_minutes=40) == D("150.0")


def test_the_pump_rate_refuses_a_zero_duration() -> None:
    with pytest.raises(DoseError, match="infusion_minutes"):
        infusion_rate_ml_per_h(D("3.5"), infusion_minutes=0)


def test_an_iv_plan_shows_mg_mg_per_kg_ml_and_ml_per_hour() -> None:
    plan = plan_weight_based_dose(
        IV_RACEMIC_DEPRESSION,
        weight_kg=D("72.8"),
        weight_measured_at=NOW - dt.timedelta(days=3),
        now=NOW,
        concentration_mg_per_ml=D("10"),
        final_concentration_mg_per_ml=D("1"),
        container="syringe",
    )
    # 0.5 x 72.8 = 36.4 mg -> 3.6 mL of 10 mg/mL -> 36.0 mg = 0.495 mg/kg; made up to 36.0 mL
    # at 1 mg/mL in a syringe; 36.0 mL / 40 min = 54.0 mL/h (54.0 mg/h)
    assert plan.requested_dose_mg == D("36.40")
    assert (plan.volume_ml, plan.dose_mg) == (D("3.6"), D("36.0"))
    assert plan.rounding_changed_dose
    assert plan.dose_mg_per_kg == D("0.495")
    assert plan.preparation is not None and plan.preparation.final_volume_ml == D("36.0")
    assert plan.rate_ml_per_h == D("54.0")
    assert plan.rate_mg_per_h == D("54.0")
    assert plan.verdict is Verdict.WITHIN_RANGE


def test_a_plan_with_an_old_weight_is_refused_until_the_patient_is_weighed() -> None:
    plan = plan_weight_based_dose(
        IV_RACEMIC_DEPRESSION,
        weight_kg=D("70"),
        weight_measured_at=NOW - dt.timedelta(days=45),
        now=NOW,
    )
    assert plan.verdict is Verdict.REFUSED
    assert plan.weight is not None
    assert not plan.weight.usable and plan.weight.age_days == 45


def test_a_requested_dose_above_the_cap_is_not_silently_rounded_down_to_it() -> None:
    plan = plan_weight_based_dose(
        IV_RACEMIC_DEPRESSION,
        weight_kg=D("70"),
        weight_measured_at=NOW,
        now=NOW,
        amount=D("1.2"),
        concentration_mg_per_ml=D("10"),
        final_volume_ml=D("100"),
        container="bag",
    )
    assert plan.verdict is Verdict.REFUSED
    assert plan.dose_mg == D("84.0")


def test_a_crps_plan_gives_the_rate_for_a_four_hour_infusion() -> None:
    plan = plan_weight_based_dose(
        IV_RACEMIC_CRPS,
        weight_kg=D("70"),
        weight_measured_at=NOW,
        now=NOW,
        final_concentration_mg_per_ml=D("1"),  # a ready-made 1 mg/mL bag
        container="bag",
    )
    assert (plan.dose_mg, plan.volume_ml) == (D("98.0"), D("98.0"))
    assert plan.rate_ml_per_h == D("24.5")
    assert plan.rate_mg_per_h == D("24.5")
    assert plan.verdict is Verdict.WITHIN_RANGE


@given(
    weight=st.decimals(min_value=20, max_value=350, places=1),
    amount=st.decimals(min_value=D("0.1"), max_value=D("1.0"), places=3),
    concentration=st.sampled_from([D("1"), D("2"), D("10"), D("50"), D("100")]),
    increment=st.sampled_from([D("0.01"), D("0.1"), D("0.5"), D("1")]),
)
def test_a_rounded_volume_never_exceeds_the_cap(
    weight: Decimal, amount: Decimal, concentration: Decimal, increment: Decimal
) -> None:
    rule = IV_RACEMIC_DEPRESSION.dose
    cap = max_dose_mg(rule, weight_kg=weight)
    requested = dose_mg_from_rule(rule, weight_kg=weight, amount=amount)
    try:
        r = round_volume(
            requested,
            concentration_mg_per_ml=concentration,
            increment_ml=increment,
            max_dose_mg=cap,
        )
    except DoseError:
        return  # too small to measure: refused, nothing given
    assert r.dose_mg <= cap
    assert r.dose_mg == r.volume_ml * concentration
    assert check_dose_range(rule, dose_mg=r.dose_mg, weight_kg=weight).verdict is not (
        Verdict.REFUSED
    )


@given(
    dose=st.decimals(min_value=1, max_value=500, places=2),
    concentration=st.sampled_from([D("1"), D("10"), D("50"), D("100")]),
)
def test_rounding_without_a_cap_moves_the_volume_by_at_most_half_an_increment(
    dose: Decimal, concentration: Decimal
) -> None:
    try:
        r = round_volume(dose, concentration_mg_per_ml=concentration)
    except DoseError:
        return
    assert abs(r.volume_ml - r.exact_volume_ml) <= D("0.05")


# ---------------------------------------------------------------------------------------------
# Esketamine devices


def test_56_mg_is_two_devices_and_84_mg_is_three() -> None:
    assert esketamine_device_count(D("56"), DEVICES) == 2
    assert esketamine_device_count(D("84"), DEVICES) == 3


def test_a_dose_that_is_not_whole_devices_is_refused() -> None:
    with pytest.raises(DoseError, match="28 mg devices"):
        esketamine_device_count(D("70"), DEVICES)


def test_devices_are_planned_five_minutes_apart() -> None:
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    assert device_times(start, 3, DEVICES) == [
        start,
        start + dt.timedelta(minutes=5),
        start + dt.timedelta(minutes=10),
    ]


def test_a_device_given_less_than_five_minutes_after_the_previous_is_flagged() -> None:
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    times = [start, start + dt.timedelta(minutes=5), start + dt.timedelta(minutes=8)]
    (problem,) = check_device_timing(times, DEVICES)
    assert "Device 3" in problem and "3.0 min" in problem


def test_84_mg_is_refused_as_a_first_trd_dose() -> None:
    check = check_esketamine_dose(ESKETAMINE_TRD.dose, dose_mg=D("84"), prior_doses_mg=[])
    assert check.verdict is Verdict.REFUSED
    assert "only after a first 56 mg" in check.message


def test_84_mg_is_allowed_after_a_56_mg_trd_dose() -> None:
    check = check_esketamine_dose(ESKETAMINE_TRD.dose, dose_mg=D("84"), prior_doses_mg=[D("56")])
    assert check.verdict is Verdict.WITHIN_RANGE


def test_the_first_trd_dose_of_56_mg_is_within_the_protocol() -> None:
    check = check_esketamine_dose(ESKETAMINE_TRD.dose, dose_mg=D("56"), prior_doses_mg=[])
    assert check.verdict is Verdict.WITHIN_RANGE


def test_84_mg_is_the_mdsi_first_dose_without_a_prior_56() -> None:
    check = check_esketamine_dose(ESKETAMINE_MDSI.dose, dose_mg=D("84"), prior_doses_mg=[])
    assert check.verdict is Verdict.WITHIN_RANGE


def test_an_esketamine_dose_above_84_mg_is_refused() -> None:
    check = check_esketamine_dose(
        ESKETAMINE_TRD.dose, dose_mg=D("112"), prior_doses_mg=[D("56"), D("84")]
    )
    assert check.verdict is Verdict.REFUSED


def test_28_mg_in_the_trd_protocol_needs_an_override() -> None:
    check = check_esketamine_dose(ESKETAMINE_TRD.dose, dose_mg=D("28"), prior_doses_mg=[D("56")])
    assert check.verdict is Verdict.NEEDS_OVERRIDE


def test_the_first_esketamine_dose_defaults_to_the_protocols_first_dose() -> None:
    rule = replace(ESKETAMINE_TRD.dose, usual=D("84"))
    assert esketamine_dose_to_give(rule, requested_mg=None, prior_doses_mg=[]) == D("56")
    assert esketamine_dose_to_give(rule, requested_mg=None, prior_doses_mg=[D("56")]) == D("84")


def test_an_esketamine_dose_asked_for_is_the_one_checked() -> None:
    rule = ESKETAMINE_TRD.dose
    assert esketamine_dose_to_give(rule, requested_mg=D("84"), prior_doses_mg=[]) == D("84")


# A fixed-mg IV infusion (no weight): 35 mg usual, 20-50 mg allowed, 60 mg cap, over 40 min.
FIXED_IV = replace(
    IV_RACEMIC_DEPRESSION,
    dose=replace(
        IV_RACEMIC_DEPRESSION.dose,
        basis=DoseBasis.FIXED_MG,
        usual=D("35"),
        minimum=D("20"),
        maximum=D("50"),
        cap=D("60"),
        cap_total_mg=None,
    ),
)


def test_a_fixed_dose_without_a_concentration_is_the_usual_mg() -> None:
    plan = plan_fixed_dose(FIXED_IV, weight_kg=D("70"))
    assert plan.dose_mg == D("35")
    assert plan.volume_ml is None and plan.rate_ml_per_h is None
    assert plan.check.verdict is Verdict.WITHIN_RANGE


def test_a_fixed_dose_with_a_concentration_is_rounded_to_a_volume_and_gets_a_pump_rate() -> None:
    plan = plan_fixed_dose(
        FIXED_IV,
        dose_mg=D("33.33"),
        concentration_mg_per_ml=D("10"),
        final_concentration_mg_per_ml=D("1"),
        container="syringe",
        weight_kg=D("70"),
    )
    assert plan.volume_ml == D("3.3")
    assert plan.dose_mg == D("33.0")
    # The pump runs the 33.0 mL syringe at 1 mg/mL, not the 3.3 mL drawn from the vial.
    assert plan.rate_ml_per_h == infusion_rate_ml_per_h(D("33.0"), infusion_minutes=40)
    assert plan.check.verdict is Verdict.WITHIN_RANGE


def test_a_fixed_dose_outside_the_range_needs_an_override_and_above_the_cap_is_refused() -> None:
    w = D("70")
    assert plan_fixed_dose(FIXED_IV, dose_mg=D("55"), weight_kg=w).verdict is Verdict.NEEDS_OVERRIDE
    assert plan_fixed_dose(FIXED_IV, dose_mg=D("70"), weight_kg=w).verdict is Verdict.REFUSED


def test_a_fixed_dose_without_a_weight_is_judged_for_the_lightest_patient() -> None:
    # 35 mg is 1.75 mg/kg at 20 kg: above the IV ceiling of 1.0 mg/kg per session.
    assert plan_fixed_dose(FIXED_IV).verdict is Verdict.REFUSED


def test_a_fixed_dose_of_nothing_is_a_dose_error() -> None:
    with pytest.raises(DoseError) as exc:
        plan_fixed_dose(FIXED_IV, amount=D("0"))
    assert exc.value.field == "amount"


def test_an_override_names_the_dose_it_allows() -> None:
    assert override_subject(D("84")) == "dose:84"
    assert override_subject(D("35.0")) == "dose:35.0"
