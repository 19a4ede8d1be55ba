"""outcome(): percent change from baseline, response, remission and change flags."""

from __future__ import annotations

import pytest

from ketaclinic.scales import OutcomeRule, ScaleInputError, get_scale, outcome


def test_percent_change_is_negative_when_the_score_fell() -> None:
    result = outcome("phq9", 20, 15)
    assert result.percent_change == -25.0
    assert result.absolute_change == -5


def test_percent_change_is_positive_when_the_score_rose() -> None:
    assert outcome("madrs", 20, 30).percent_change == 50.0


def test_a_baseline_of_0_has_no_percent_change_and_no_response() -> None:
    result = outcome("phq9", 0, 0)
    assert result.percent_change is None
    assert result.response is False


@pytest.mark.parametrize(
    ("code", "baseline", "current", "response"),
    [
        ("phq9", 20, 10, True),
        ("phq9", 20, 11, False),
        ("madrs", 30, 15, True),
        ("madrs", 31, 16, False),
        ("hamd17", 22, 11, True),
        ("qids_sr16", 16, 9, False),
        ("gad7", 14, 7, True),
    ],
)
def test_response_is_a_fall_of_half_or_more(
    code: str, baseline: int, current: int, response: bool
) -> None:
    assert outcome(code, baseline, current).response is response


@pytest.mark.parametrize(
    ("code", "in_remission", "not_in_remission"),
    [("phq9", 4, 5), ("gad7", 4, 5), ("madrs", 12, 13), ("qids_sr16", 5, 6), ("hamd17", 7, 8)],
)
def test_remission_thresholds_of_the_issue(
    code: str, in_remission: int, not_in_remission: int
) -> None:
    assert outcome(code, 20, in_remission).remission is True
    assert outcome(code, 20, not_in_remission).remission is False


def test_ybocs_response_uses_the_configurable_35_percent_default() -> None:
    assert outcome("ybocs", 20, 13).response is True
    assert outcome("ybocs", 20, 14).response is False


def test_a_clinic_can_configure_another_remission_threshold() -> None:
    strict = get_scale("madrs").configured(
        outcome_rule=OutcomeRule(response_drop_percent=50.0, remission_at_or_below=10)
    )
    assert strict.outcome(30, 11).remission is False
    assert strict.outcome(30, 10).remission is True
    assert outcome("madrs", 30, 11).remission is True  # the default is untouched


@pytest.mark.parametrize(
    ("current", "flags"),
    [
        (10, ()),
        (9, ("minimal_reduction",)),
        (7, ("minimal_reduction", "moderate_reduction", "clinically_important_change")),
        (
            5,
            (
                "minimal_reduction",
                "moderate_reduction",
                "substantial_reduction",
                "clinically_important_change",
            ),
        ),
    ],
)
def test_nrs_pain_reports_moderate_and_substantial_reductions(
    current: int, flags: tuple[str, ...]
) -> None:
    assert outcome("nrs_pain", 10, current).flags == flags


def test_nrs_pain_moderate_reduction_starts_at_30_percent() -> None:
    # 10 -> 8 is 20 %; on a baseline of 10 the 30 % line is 7
    assert "moderate_reduction" not in outcome("nrs_pain", 10, 8).flags
    assert "moderate_reduction" in outcome("nrs_pain", 10, 7).flags
    assert outcome("nrs_pain", 10, 5).response is True


def test_pcl5_reports_reliable_and_clinically_meaningful_change() -> None:
    assert outcome("pcl5", 50, 46).flags == ()
    assert outcome("pcl5", 50, 45).flags == ("reliable_change",)
    assert outcome("pcl5", 50, 40).flags == ("reliable_change", "clinically_meaningful_change")


def test_bpi_reduction_flags_use_the_severity_mean() -> None:
    assert outcome("bpi_sf", 6.0, 3.0).flags == ("moderate_reduction", "substantial_reduction")


def test_moaas_flags_sedation_on_any_fall_from_pre_dose_and_loss_of_consciousness_at_0() -> None:
    assert outcome("moaas", 5, 5).flags == ()
    assert outcome("moaas", 5, 4).flags == ("sedation",)
    assert outcome("moaas", 5, 0).flags == ("sedation", "loss_of_consciousness")
    assert outcome("moaas", 5, 0).response is False


@pytest.mark.parametrize("code", ["bprs", "cadss"])
def test_a_rise_from_pre_dose_is_flagged(code: str) -> None:
    assert outcome(code, 20, 21).flags == ("rise_from_pre_dose",)
    assert outcome(code, 20, 20).flags == ()


def test_bprs_percent_change_is_taken_above_its_floor_of_18() -> None:
    assert outcome("bprs", 28, 23).percent_change == -50.0
    assert outcome("bprs", 18, 20).percent_change is None


def test_cgi_i_response_is_much_or_very_much_improved() -> None:
    assert outcome("cgi_i", 4, 2).response is True
    assert outcome("cgi_i", 4, 3).response is False


def test_cgi_s_has_no_response_or_remission_rule() -> None:
    result = outcome("cgi_s", 6, 1)
    assert (result.percent_change, result.response, result.remission) == (-100.0, False, False)


@pytest.mark.parametrize(
    ("baseline", "current", "message"),
    [
        (28, 10, "phq9 baseline_total 28 is outside the scale's range 0-27"),
        (10, -1, "phq9 current_total -1 is outside the scale's range 0-27"),
        (None, 10, "phq9 baseline_total must be a number from 0 to 27, not None"),
        (10, True, "phq9 current_total must be a number from 0 to 27, not True"),
        ("10", 5, "phq9 baseline_total must be a number from 0 to 27, not the text '10'"),
        (float("nan"), 5, "phq9 baseline_total nan is outside"),
    ],
)
def test_outcome_refuses_totals_that_are_missing_or_out_of_range(
    baseline: object, current: object, message: str
) -> None:
    with pytest.raises(ScaleInputError, match=message):
        outcome("phq9", baseline, current)
