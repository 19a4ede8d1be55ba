from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.dea import dea_number_problem
from ketaclinic.lib.units import kg_to_lb, to_cm, to_kg

weights_lb = st.decimals(min_value=Decimal("44"), max_value=Decimal("880"), places=1)


def test_pounds_convert_to_kilograms_with_the_exact_definition() -> None:
    assert to_kg(Decimal("154.0"), "lb") == Decimal("69.9")  # 154 x 0.45359237 = 69.853
    assert to_kg(Decimal("220.5"), "lb") == Decimal("100.0")
    assert to_kg(Decimal("70.04"), "kg") == Decimal("70.0")


def test_inches_convert_to_centimetres() -> None:
    assert to_cm(Decimal("70"), "in") == Decimal("177.8")


def test_an_unknown_unit_is_refused_with_the_allowed_units() -> None:
    with pytest.raises(ValueError, match="kg, lb"):
        to_kg(Decimal("70"), "stone")
    with pytest.raises(ValueError, match="cm, in"):
        to_cm(Decimal("70"), "ft")


@given(weights_lb)
def test_a_weight_entered_in_pounds_comes_back_within_a_tenth_of_a_pound(lb: Decimal) -> None:
    kg = to_kg(lb, "lb")
    assert abs(kg_to_lb(kg) - lb) <= Decimal("0.15")


@given(st.decimals(min_value=Decimal("20"), max_value=Decimal("400"), places=1))
def test_kilograms_are_stored_unchanged(kg: Decimal) -> None:
    assert to_kg(kg, "kg") == kg


@pytest.mark.parametrize("number", ["BR1234563", "AB1234563", "M91234563"])
def test_a_dea_number_with_a_correct_check_digit_is_accepted(number: str) -> None:
    assert dea_number_problem(number) is None


def test_a_dea_number_with_a_wrong_check_digit_names_the_expected_digit() -> None:
    problem = dea_number_problem("BR1234564")
    assert problem is not None
    assert "should be 3" in problem


def test_a_malformed_dea_number_says_what_the_format_is() -> None:
    problem = dea_number_problem("B12345678")
    assert problem is not None
    assert "two letters followed by seven digits" in problem
