"""The pure surveillance rules at their boundaries: what is due when, the misuse indicators,
exposure sums and the blood-pressure pairs. No database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.surveillance.rules import (
    DEFAULT_POLICY,
    DueStatus,
    EarlyRequest,
    GivenDose,
    ItemKind,
    Policy,
    Reading,
    Thresholds,
    due_items,
    exposure,
    misuse_flags,
    session_bp,
)
from ketaclinic.surveillance.rules.chart import bp_chart

START = dt.date(2026, 1, 5)
UTC = dt.UTC


def test_nothing_is_due_for_a_patient_not_under_treatment() -> None:
    assert due_items(course_start=None, repeated_dose=True, last_done={}, today=START) == []


def test_liver_tests_are_due_only_in_a_repeated_dose_programme() -> None:
    single = due_items(course_start=START, repeated_dose=False, last_done={}, today=START)
    repeated = due_items(course_start=START, repeated_dose=True, last_done={}, today=START)
    assert ItemKind.LIVER not in {i.kind for i in single}
    assert ItemKind.LIVER in {i.kind for i in repeated}


def test_the_review_of_benefit_falls_at_the_end_of_induction_then_every_n_weeks() -> None:
    policy = Policy(induction_weeks=4, review_interval_weeks=8)
    first = due_items(
        course_start=START, repeated_dose=True, last_done={}, today=START, policy=policy
    )
    review = next(i for i in first if i.kind == ItemKind.BENEFIT_REVIEW)
    assert review.due_on == START + dt.timedelta(weeks=4)
    assert "end of induction" in review.reason
    done = START + dt.timedelta(weeks=4, days=2)
    later = due_items(
        course_start=START,
        repeated_dose=True,
        last_done={ItemKind.BENEFIT_REVIEW: done},
        today=done,
        policy=policy,
    )
    review = next(i for i in later if i.kind == ItemKind.BENEFIT_REVIEW)
    assert review.due_on == done + dt.timedelta(weeks=8)
    assert review.status == DueStatus.NOT_DUE


def test_a_review_before_the_course_does_not_count_but_a_baseline_urinalysis_does() -> None:
    before = START - dt.timedelta(days=3)
    items = due_items(
        course_start=START,
        repeated_dose=True,
        last_done={ItemKind.BENEFIT_REVIEW: before, ItemKind.URINARY: before},
        today=START,
    )
    by_kind = {i.kind: i for i in items}
    assert by_kind[ItemKind.BENEFIT_REVIEW].last_done is None
    assert by_kind[ItemKind.URINARY].due_on == before + dt.timedelta(weeks=12)


@given(offset=st.integers(min_value=-400, max_value=400))
def test_an_item_is_overdue_exactly_after_its_due_date(offset: int) -> None:
    due_on = START + dt.timedelta(weeks=DEFAULT_POLICY.urinary_interval_weeks)
    today = due_on + dt.timedelta(days=offset)
    items = due_items(course_start=START, repeated_dose=False, last_done={}, today=today)
    urinary = next(i for i in items if i.kind == ItemKind.URINARY)
    assert urinary.due_on == due_on
    if offset > 0:
        assert urinary.status == DueStatus.OVERDUE
    elif -offset <= DEFAULT_POLICY.due_soon_days:
        assert urinary.status == DueStatus.DUE_SOON
    else:
        assert urinary.status == DueStatus.NOT_DUE


@pytest.mark.parametrize(
    "field", ["urinary_interval_weeks", "liver_interval_weeks", "review_interval_weeks"]
)
def test_an_interval_outside_1_to_104_weeks_is_refused_naming_it(field: str) -> None:
    Policy(**{field: 1})
    Policy(**{field: 104})
    for bad in (0, 105):
        with pytest.raises(ValueError, match=field):
            Policy(**{field: bad})


def test_every_item_cites_its_source_and_says_when_the_interval_is_unverified() -> None:
    items = due_items(course_start=START, repeated_dose=True, last_done={}, today=START)
    assert len(items) == 3
    for item in items:
        assert item.source
    assert "unverified" in next(i for i in items if i.kind == ItemKind.LIVER).source


# --- misuse indicators -----------------------------------------------------------------------


def _dose(
    day: int, mg: str, drug: str = "esketamine", route: str = "esketamine_nasal"
) -> GivenDose:
    return GivenDose(dt.datetime(2026, 1, day, 14, tzinfo=UTC), drug, route, Decimal(mg))


def _flags(
    *,
    early: list[EarlyRequest] | None = None,
    doses: list[GivenDose] | None = None,
    loss_reports: int = 0,
    discrepancies: int = 0,
    thresholds: Thresholds | None = None,
) -> dict[str, str]:
    found = misuse_flags(
        early=early or [],
        doses=doses or [],
        loss_reports=loss_reports,
        discrepancies=discrepancies,
        thresholds=thresholds or Thresholds(),
    )
    return {f.code: f.reason for f in found}


def test_no_indicator_fires_on_a_quiet_record() -> None:
    assert _flags(doses=[_dose(1, "56"), _dose(4, "56")]) == {}


def test_the_labels_56_to_84_mg_step_is_not_an_escalation_but_more_is() -> None:
    assert "dose_escalation" not in _flags(doses=[_dose(1, "56"), _dose(4, "84")])
    flags = _flags(doses=[_dose(1, "56"), _dose(4, "84"), _dose(8, "112")])
    assert "+100%" in flags["dose_escalation"]
    assert "Esketamine" in flags["dose_escalation"]


@given(
    first=st.decimals(min_value=1, max_value=500, places=1),
    percent=st.integers(min_value=1, max_value=500),
    rise=st.integers(min_value=-100, max_value=600),
)
def test_escalation_fires_exactly_above_the_threshold(
    first: Decimal, percent: int, rise: int
) -> None:
    last = first * (100 + rise) / 100
    if last <= 0:
        return
    flags = _flags(
        doses=[
            _dose(1, str(first), "racemic_ketamine", "iv_infusion"),
            _dose(9, str(last), "racemic_ketamine", "iv_infusion"),
        ],
        thresholds=Thresholds(escalation_percent=percent),
    )
    assert ("dose_escalation" in flags) == (rise > percent)


def test_doses_of_another_route_are_not_compared() -> None:
    doses = [
        _dose(1, "35", "racemic_ketamine", "iv_infusion"),
        _dose(5, "200", "racemic_ketamine", "oral"),
    ]
    assert "dose_escalation" not in _flags(doses=doses)


def test_an_early_request_names_the_day_and_the_reason() -> None:
    original = dt.datetime(2026, 1, 10, 14, tzinfo=UTC)
    request = EarlyRequest(original, original - dt.timedelta(days=3), "asked to come sooner")
    reason = _flags(early=[request])["early_requests"]
    assert "2026-01-10 moved 3 day(s) earlier (asked to come sooner)" in reason


def test_loss_reports_and_discrepancies_fire_at_their_thresholds() -> None:
    flags = _flags(loss_reports=1, discrepancies=2)
    assert flags["lost_doses"].startswith("1 loss or theft report")
    assert flags["ledger_discrepancies"].startswith("2 count discrepancy")
    assert _flags(loss_reports=1, thresholds=Thresholds(loss_reports=2)) == {}


# --- exposure and blood pressure ------------------------------------------------------------


@given(
    doses=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=28),
            st.integers(min_value=1, max_value=12),
            st.sampled_from(["esketamine_nasal", "iv_infusion"]),
            st.decimals(min_value=1, max_value=200, places=3),
        ),
        max_size=30,
    )
)
def test_exposure_totals_add_up_by_drug_route_and_by_month(
    doses: list[tuple[int, int, str, Decimal]],
) -> None:
    given_doses = [
        GivenDose(dt.datetime(2026, month, day, 15, tzinfo=UTC), "d", route, mg)
        for day, month, route, mg in doses
    ]
    result = exposure(given_doses, ZoneInfo("America/New_York"))
    total = sum((d.mg for d in given_doses), Decimal(0))
    assert result.sessions == len(given_doses)
    assert sum((r.total_mg for r in result.by_drug_route), Decimal(0)) == total
    assert sum((r.total_mg for r in result.by_month), Decimal(0)) == total
    assert sum(r.sessions for r in result.by_month) == len(given_doses)


def test_a_dose_late_on_the_last_day_of_a_month_counts_in_the_clinics_month() -> None:
    late = GivenDose(
        dt.datetime(2026, 2, 1, 3, tzinfo=UTC), "esketamine", "esketamine_nasal", Decimal(56)
    )
    result = exposure([late], ZoneInfo("America/New_York"))
    assert [r.month for r in result.by_month] == ["2026-01"]


def test_pre_dose_is_the_last_reading_before_dosing_and_peak_the_highest_after() -> None:
    dosed = dt.datetime(2026, 1, 5, 14, tzinfo=UTC)
    readings = [
        Reading(dosed - dt.timedelta(minutes=30), 150, 95),
        Reading(dosed - dt.timedelta(minutes=5), 128, 82),
        Reading(dosed + dt.timedelta(minutes=40), 158, 92),
        Reading(dosed + dt.timedelta(minutes=100), 134, 84),
    ]
    bp = session_bp(dosed, readings)
    assert bp.pre is not None and (bp.pre.systolic, bp.pre.diastolic) == (128, 82)
    assert bp.peak is not None and (bp.peak.systolic, bp.peak.diastolic) == (158, 92)
    assert bp.rise_systolic == 30


def test_a_session_without_readings_is_unmeasured_not_zero() -> None:
    bp = session_bp(dt.datetime(2026, 1, 5, 14, tzinfo=UTC), [])
    assert bp.pre is None and bp.peak is None and bp.rise_systolic is None
    assert bp_chart([bp], UTC) is None


def test_the_chart_draws_four_series_inside_the_plot() -> None:
    dosed = dt.datetime(2026, 1, 5, 14, tzinfo=UTC)
    sessions = [
        session_bp(
            dosed + dt.timedelta(days=3 * k),
            [
                Reading(dosed + dt.timedelta(days=3 * k, minutes=-5), 120 + k, 80),
                Reading(dosed + dt.timedelta(days=3 * k, minutes=40), 150 + k, 90),
            ],
        )
        for k in range(4)
    ]
    chart = bp_chart(sessions, UTC)
    assert chart is not None
    assert [len(s.points) for s in chart.series] == [4, 4, 4, 4]
    for s in chart.series:
        for x, y, _ in s.points:
            assert chart.plot_left <= x <= chart.plot_right
            assert chart.plot_top <= y <= chart.plot_bottom
