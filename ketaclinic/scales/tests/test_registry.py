"""The public API: metadata, codes, input errors common to every scale, purity."""

from __future__ import annotations

import subprocess
import sys
from collections import UserList

import pytest

from ketaclinic.scales import CODES, ScaleInputError, list_scales, outcome, score

EXPECTED = {
    # code: (item_count, min_total, max_total, loinc, licence)
    "phq9": (9, 0, 27, "44261-6", "free"),
    "gad7": (7, 0, 21, "70274-6", "free"),
    "madrs": (10, 0, 60, None, "licensed"),
    "qids_sr16": (16, 0, 27, None, "licensed"),
    "hamd17": (17, 0, 52, None, "free"),
    "pcl5": (20, 0, 80, None, "free"),
    "ybocs": (10, 0, 40, None, "licensed"),
    "cssrs_screener": (7, 0, 3, "93374-7", "licensed"),
    "bpi_sf": (11, 0, 10, None, "licensed"),
    "nrs_pain": (1, 0, 10, None, "free"),
    "cadss": (23, 0, 92, None, "licensed"),
    "moaas": (1, 0, 5, None, "free"),
    "bprs": (18, 18, 126, None, "free"),
    "cgi_s": (1, 1, 7, None, "free"),
    "cgi_i": (1, 1, 7, None, "free"),
}


def test_it_lists_the_fifteen_scales_of_the_issue_in_order() -> None:
    assert [s.code for s in list_scales()] == list(EXPECTED)
    assert CODES == tuple(EXPECTED)


@pytest.mark.parametrize("code", EXPECTED)
def test_each_scale_reports_its_metadata(code: str) -> None:
    meta = next(s for s in list_scales() if s.code == code)
    assert (meta.item_count, meta.min_total, meta.max_total, meta.loinc, meta.licence) == (
        EXPECTED[code]
    )
    assert meta.name and meta.version


@pytest.mark.parametrize("code", EXPECTED)
def test_licensed_scales_ship_no_item_text_and_free_scales_ship_all_of_it(code: str) -> None:
    meta = next(s for s in list_scales() if s.code == code)
    texts = [item.text for item in meta.items]
    if meta.licence == "licensed":
        assert texts == [None] * meta.item_count
        assert meta.instructions is None
    else:
        assert all(texts)


@pytest.mark.parametrize("code", ["phq9", "gad7", "madrs", "hamd17", "pcl5", "ybocs", "cadss"])
def test_sum_scales_have_min_and_max_totals_that_match_their_items(code: str) -> None:
    meta = next(s for s in list_scales() if s.code == code)
    assert meta.min_total == sum(item.min for item in meta.items)
    assert meta.max_total == sum(item.max for item in meta.items)


@pytest.mark.parametrize("code", ["", "PHQ9", "phq-9", "madrs10", None, 9])
def test_it_refuses_an_unknown_scale_code(code: object) -> None:
    with pytest.raises(ScaleInputError, match=r"unknown scale code .*known codes: phq9, gad7"):
        score(code, [0] * 9)  # type: ignore[arg-type]


def test_outcome_refuses_an_unknown_scale_code() -> None:
    with pytest.raises(ScaleInputError, match="unknown scale code 'nope'"):
        outcome("nope", 10, 5)


def test_scale_input_error_is_a_value_error() -> None:
    assert issubclass(ScaleInputError, ValueError)


@pytest.mark.parametrize("count", [0, 8, 10])
def test_it_refuses_the_wrong_number_of_answers_naming_items_and_range(count: int) -> None:
    with pytest.raises(
        ScaleInputError,
        match=rf"phq9 expects 9 answers, items 1 to 9 in order \(each an integer 0-3 or None\); "
        rf"got {count}$",
    ):
        score("phq9", [0] * count)


def test_a_count_error_lists_each_item_range_when_ranges_differ() -> None:
    with pytest.raises(ScaleInputError, match="item 3: 0-4, item 4: 0-2"):
        score("hamd17", [0] * 16)


@pytest.mark.parametrize("answers", ["000000000", b"000000000", {i: 0 for i in range(9)}, 7])
def test_it_refuses_answers_that_are_not_a_list_or_tuple(answers: object) -> None:
    with pytest.raises(ScaleInputError, match="phq9 answers must be a list or tuple of 9"):
        score("phq9", answers)  # type: ignore[arg-type]


def test_it_accepts_any_other_sequence_of_answers() -> None:
    assert score("phq9", UserList([1] * 9)) == score("phq9", [1] * 9)
    assert score("cgi_s", range(3, 4)).total == 3


def test_it_scores_a_tuple_like_a_list() -> None:
    assert score("phq9", (1,) * 9) == score("phq9", [1] * 9)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(True, "True"), (False, "False"), (2.0, "2.0"), (1.5, "1.5"), ("2", "the text '2'")],
)
def test_it_refuses_an_answer_that_is_not_an_integer(bad: object, shown: str) -> None:
    answers: list[object] = [0] * 9
    answers[4] = bad
    with pytest.raises(
        ScaleInputError, match=rf"^phq9 item 5: {shown} is not an integer; allowed integers 0-3"
    ):
        score("phq9", answers)


@pytest.mark.parametrize("bad", [-1, 4, 100])
def test_it_refuses_an_item_outside_its_range(bad: int) -> None:
    answers = [0] * 9
    answers[8] = bad
    with pytest.raises(
        ScaleInputError,
        match=rf"^phq9 item 9: {bad} is outside the allowed range; allowed "
        r"integers 0-3$",
    ):
        score("phq9", answers)


def test_an_out_of_range_item_is_refused_even_when_another_is_missing() -> None:
    with pytest.raises(ScaleInputError, match="item 2: 9 is outside"):
        score("phq9", [None, 9, 0, 0, 0, 0, 0, 0, 0])


def test_the_library_imports_no_django() -> None:
    code = (
        "import sys, ketaclinic.scales, ketaclinic.scales.text, ketaclinic.research.fhir;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    run = subprocess.run(  # noqa: S603  # fixed command, our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"
