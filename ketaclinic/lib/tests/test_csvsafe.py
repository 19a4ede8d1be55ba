from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.lib import csvsafe

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

text_cells = st.text(
    alphabet=st.sampled_from(
        ["=", "+", "-", "@", "\t", "\r", "\n", ",", '"', "'", "a", "1", " ", "é"]
    ),
    max_size=12,
) | st.text(max_size=12)

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | text_cells,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_cells, inner, max_size=3),
    max_leaves=8,
)


def _parse(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)))


@settings(suppress_health_check=[HealthCheck.too_slow])  # a loaded 2-core machine, not the code
@given(st.lists(text_cells, min_size=1, max_size=6))
def test_no_text_cell_reads_back_as_a_formula_and_the_text_survives(values: list[str]) -> None:
    out = io.StringIO()
    csvsafe.writer(out).writerow(values)
    cells = _parse(out.getvalue())
    assert len(cells) == len(values)  # separators, quotes and newlines stay inside their cell
    for value, written in zip(values, cells, strict=True):
        assert not written.startswith(FORMULA_STARTS)
        # Nothing is lost: the text is the cell, or the cell after the neutralising quote.
        assert written in (value, "'" + value)
        assert (written == "'" + value) == value.startswith(FORMULA_STARTS)


@given(json_like)
def test_structured_values_are_written_as_json_that_reads_back(value: Any) -> None:
    structured = {"changes": value}
    written = csvsafe.cell(structured)
    assert json.loads(written) == structured
    assert not written.startswith(FORMULA_STARTS)


@given(st.integers() | st.floats(allow_nan=False) | st.decimals(allow_nan=False))
def test_numbers_stay_numbers_even_when_negative(value: Any) -> None:
    assert csvsafe.cell(value) == str(value)


def test_the_owasp_examples_are_neutralised() -> None:
    for payload in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csvsafe.cell(payload) == "'" + payload
    assert csvsafe.cell(None) == ""
    assert csvsafe.cell(True) == "true"
    assert csvsafe.cell(Decimal("-1.5")) == "-1.5"
    assert csvsafe.cell({"b": 1, "a": [None]}) == '{"a": [null], "b": 1}'
