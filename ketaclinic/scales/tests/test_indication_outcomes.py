"""Issue 16: outcome rules per indication, read from the scale definitions (PCL-5 for PTSD,
Y-BOCS for OCD, GAD-7 for anxiety); the outcomes page groups by ``OutcomeRule.indications``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.scales import get_definition, outcome


def test_each_indication_names_its_scale_in_the_definitions() -> None:
    assert get_definition("pcl5").outcome_rule.indications == ("ptsd",)
    assert get_definition("ybocs").outcome_rule.indications == ("ocd",)
    assert get_definition("gad7").outcome_rule.indications == ("anxiety",)


def test_a_pcl5_fall_of_10_points_is_a_response_and_9_is_not() -> None:
    # scales.md PCL-5: 10 points clinically meaningful [PCL].
    assert outcome("pcl5", 54, 44).response is True
    assert outcome("pcl5", 54, 45).response is False
    # A 10-point fall from a high baseline is a response though it is far from half.
    assert outcome("pcl5", 80, 70).response is True
    assert outcome("pcl5", 54, 30).remission is False  # no PCL-5 remission rule


def test_ybocs_response_is_a_35_percent_fall_and_remission_12_or_less() -> None:
    assert outcome("ybocs", 28, 18).response is True  # 35.7 % fall
    assert outcome("ybocs", 28, 19).response is False  # 32.1 %
    assert outcome("ybocs", 28, 12).remission is True
    assert outcome("ybocs", 28, 13).remission is False


def test_gad7_response_is_a_50_percent_fall_and_remission_below_5() -> None:
    assert outcome("gad7", 16, 8).response is True
    assert outcome("gad7", 16, 9).response is False
    assert outcome("gad7", 16, 4).remission is True
    assert outcome("gad7", 16, 5).remission is False


@given(baseline=st.integers(0, 80), current=st.integers(0, 80))
def test_pcl5_response_is_exactly_a_fall_of_at_least_10_points(baseline: int, current: int) -> None:
    assert outcome("pcl5", baseline, current).response is (baseline - current >= 10)


@given(baseline=st.integers(1, 40), current=st.integers(0, 40))
def test_ybocs_rules_hold_for_every_pair_of_totals(baseline: int, current: int) -> None:
    result = outcome("ybocs", baseline, current)
    assert result.response is ((baseline - current) * 100 >= 35 * baseline)
    assert result.remission is (current <= 12)


@given(baseline=st.integers(1, 21), current=st.integers(0, 21))
def test_gad7_rules_hold_for_every_pair_of_totals(baseline: int, current: int) -> None:
    result = outcome("gad7", baseline, current)
    assert result.response is ((baseline - current) * 2 >= baseline)
    assert result.remission is (current < 5)


def test_each_rule_reads_in_words_as_the_chart_shows_it() -> None:
    assert get_definition("pcl5").outcome_rule.summary == (
        "response: a fall of 10 points or more; no remission rule"
    )
    assert get_definition("ybocs").outcome_rule.summary == (
        "response: a fall of 35 % or more; remission at 12 or less"
    )
    assert get_definition("gad7").outcome_rule.summary == (
        "response: a fall of 50 % or more; remission at 4 or less"
    )
