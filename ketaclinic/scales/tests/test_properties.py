"""Property tests: any valid answers score without error and within the scale's range."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.scales import CODES, ScaleInputError, get_definition, score


@st.composite
def valid_answers(draw: st.DrawFn, allow_missing: bool = False) -> tuple[str, list[int | None]]:
    code = draw(st.sampled_from(CODES))
    definition = get_definition(code)
    answers: list[int | None] = []
    for item in definition.items:
        gate = item.asked_when
        if gate is not None and answers[definition.position(gate[0])] != gate[1]:
            answers.append(None)  # skip logic: not asked
            continue
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
    for p, item in enumerate(definition.items):  # items asked only after it are not asked now
        if item.asked_when is not None and definition.position(item.asked_when[0]) == position:
            answers[p] = None
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


@given(st.data())
def test_an_item_answered_without_its_gate_is_refused_naming_the_item(
    data: st.DataObject,
) -> None:
    """C-SSRS screener skip logic: items 3-5 only after a "yes" to item 2 (6b after item 6)."""
    definition = get_definition("cssrs_screener")
    gated = [p for p, item in enumerate(definition.items) if item.asked_when is not None]
    position = data.draw(st.sampled_from(gated))
    item = definition.items[position]
    assert item.asked_when is not None
    gate = definition.position(item.asked_when[0])
    answers: list[int | None] = [data.draw(st.integers(0, 1)) for _ in definition.items]
    answers[gate] = data.draw(st.sampled_from([None, 1 - item.asked_when[1]]))
    answers[position] = data.draw(st.integers(0, 1))
    try:
        score("cssrs_screener", answers)
    except ScaleInputError as exc:
        assert str(exc).startswith("cssrs_screener item ")
    else:
        raise AssertionError("an answer to an item that was not asked was accepted")
