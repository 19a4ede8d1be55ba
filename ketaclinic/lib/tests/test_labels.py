"""Code names become words from one place (issue 14, finding 8)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.labels import duration, label, unit


def test_the_codes_seen_on_pages_read_as_words() -> None:
    assert label("cssrs_screener") == "C-SSRS screener"
    assert label("blood_pressure") == "Blood pressure"
    assert label("takes_maois") == "Takes an MAOI"
    assert label("phq9") == "PHQ-9"
    assert unit("mg_per_kg") == "mg/kg"
    assert unit("mg_per_kg_per_hour") == "mg/kg/h"


def test_a_dotted_field_path_names_its_record_and_field() -> None:
    assert label("rems.takes_maois") == "REMS form: Takes an MAOI"
    assert label("dose.lot_number") == "Dose: Lot number"


def test_an_unknown_code_reads_as_words_without_underscores() -> None:
    assert label("maintenance_phase") == "Maintenance phase"
    assert label("") == ""
    assert label(None) == ""


def test_durations_read_as_words() -> None:
    assert duration("PT15M") == "15 minutes"
    assert duration("PT1M") == "1 minute"
    assert duration("P1DT2H") == "1 day 2 hours"
    assert duration(dt.timedelta(minutes=90)) == "1 hour 30 minutes"
    assert duration(15) == "15 minutes"
    assert duration("soon") == "soon"  # not a duration: left as it is
    assert duration(None) == ""


@given(st.text())
def test_no_label_shows_an_underscore_or_is_empty_for_a_code(code: str) -> None:
    words = label(code)
    assert "_" not in words
    if code.replace("_", " ").strip():  # a code of only spaces and underscores reads as empty
        assert words


@given(st.integers(min_value=0, max_value=10**6))
def test_any_number_of_minutes_round_trips_through_iso_text(minutes: int) -> None:
    hours, mins = divmod(minutes, 60)
    assert duration(f"PT{hours}H{mins}M") == duration(minutes)
