"""Property tests: any valid answers score without error and within the scale's range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.scales import CODES, ScaleInputError, get_definition, score


@st.composite
def valid_answers(draw: st.DrawFn, allow_missing: bool = False) -> tuple[str, list[int | None]]:
    code = draw(st.sampled_from(CODES))
    answers: list[int | None] = []
    for item in get_definition(code).items:
        value = st.integers(item.min, item.max)
        answers.append(draw(st.none() | value if allow_missing else value))
    return code, answers


@given(valid_answers())
def test_complete_valid_answers_always_give_a_total_within_the_scale_range(
    case: tuple[str, list[int | None]],
) -> None:
    code, answers = case
    definition = get_definition(code)
    result = score(code, answers)
    assert result.total is not None
    assert definition.min_total <= result.total <= definition.max_total
    assert "incomplete" not in result.flags
    if definition.bands:
        assert result.band in {band.id for band in definition.bands}


@given(valid_answers(allow_missing=True))
def test_valid_answers_with_gaps_never_raise(case: tuple[str, list[int | None]]) -> None:
    code, answers = case
    result = score(code, answers)
    definition = get_definition(code)
    if result.total is None:
        assert "incomplete" in result.flags
        assert result.band is None
    else:
        assert definition.min_total <= result.total <= definition.max_total


@settings(max_examples=200)
@given(valid_answers(), st.data())
def test_a_missing_required_item_gives_no_total_and_the_incomplete_flag(
    case: tuple[str, list[int | None]], data: st.DataObject
) -> None:
    code, answers = case
    definition = get_definition(code)
    required = [p for p, item in enumerate(definition.items) if item.asked_when is None]
    position = data.draw(st.sampled_from(required))
    answers[position] = None
    result = score(code, answers)
    assert result.total is None
    assert result.flags[-1] == "incomplete"


@given(valid_answers(), st.data())
def test_any_value_outside_an_item_range_is_refused_naming_the_item(
    case: tuple[str, list[int | None]], data: st.DataObject
) -> None:
    code, answers = case
    definition = get_definition(code)
    position = data.draw(st.integers(0, definition.item_count - 1))
    item = definition.items[position]
    answers[position] = data.draw(
        st.integers(max_value=item.min - 1) | st.integers(min_value=item.max + 1)
    )
    try:
        score(code, answers)
    except ScaleInputError as error:
        assert f"item {item.id}: " in str(error)
        assert f"{item.min}-{item.max}" in str(error)
    else:
        raise AssertionError("an out-of-range answer was scored")
