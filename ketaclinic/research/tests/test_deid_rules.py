"""The pure Safe Harbor rules (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.research.deid import RESTRICTED_ZIP3, age_at, age_label, new_study_id, zip3


@given(
    prefix=st.from_regex(r"[0-9]{3}", fullmatch=True),
    rest=st.from_regex(r"[0-9]{2}", fullmatch=True),
)
def test_a_zip_keeps_three_digits_or_becomes_000(prefix: str, rest: str) -> None:
    expected = "000" if prefix in RESTRICTED_ZIP3 else prefix
    assert zip3(prefix + rest) == expected
    assert zip3(f"{prefix}{rest}-1234") == expected


def test_the_17_hhs_prefixes_are_restricted_and_foreign_codes_leave_nothing() -> None:
    assert len(RESTRICTED_ZIP3) == 17
    assert zip3("03601") == "000" and zip3("89301") == "000" and zip3("10012") == "100"
    assert zip3("SW1A 1AA") == "" and zip3("") == "" and zip3("1234") == ""


@given(age=st.integers(0, 130))
def test_ages_over_89_are_one_category(age: int) -> None:
    assert age_label(age) == ("90+" if age > 89 else str(age))


@given(born=st.dates(dt.date(1900, 1, 1), dt.date(2000, 12, 31)), years=st.integers(1, 110))
def test_age_turns_on_the_birthday_not_a_day_before(born: dt.date, years: int) -> None:
    if (born.month, born.day) == (2, 29):
        born = born.replace(day=28)
    birthday = born.replace(year=born.year + years)
    assert age_at(born, birthday) == years
    assert age_at(born, birthday - dt.timedelta(days=1)) == years - 1
    assert age_at(born, born) == 0


def test_an_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_at(dt.date(2000, 1, 2), dt.date(2000, 1, 1))


def test_study_ids_are_random_not_derived() -> None:
    ids = {new_study_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 13 and i.startswith("KC-") for i in ids)
