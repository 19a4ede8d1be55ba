"""The esketamine REMS Patient Monitoring Form: required fields, values, the 7-day deadline."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain.rems import (
    PMF_LAYOUT_2021_11,
    DeadlineStatus,
    PatientMonitoringForm,
    PmfDose,
    missing_required_fields,
    pmf_deadline,
    pmf_due_date,
    pmf_problems,
    total_monitoring_minutes,
)

SESSION_DAY = dt.date(2026, 3, 10)

COMPLETE = PatientMonitoringForm(
    patient_name="Test Patient",
    patient_date_of_birth=dt.date(1980, 5, 1),
    patient_sex="F",
    takes_benzodiazepines=False,
    takes_non_benzodiazepine_sedative_hypnotics=False,
    takes_psychostimulants=False,
    takes_maois=False,
    hcp_name="Nurse Example",
    hcp_phone="+1 555 0100",
    hcp_email="nurse@example.org",
    setting_name="Demo Clinic",
    setting_address="1 Main St, Springfield",
    treatment_date=SESSION_DAY,
    dose=PmfDose.MG_56,
    lot_number="LOT123",
    total_monitoring_minutes=125,
    minutes_until_ready_without_rule=90,
    vitals_acceptable_before_dosing=True,
    vitals_acceptable_before_completion=True,
    bp_before_dosing_systolic_mmhg=128,
    bp_before_dosing_diastolic_mmhg=80,
    bp_at_40_min_systolic_mmhg=150,
    bp_at_40_min_diastolic_mmhg=88,
    bp_before_completion_systolic_mmhg=132,
    bp_before_completion_diastolic_mmhg=82,
    sedation_observed=True,
    dissociation_observed=True,
)


def test_a_complete_form_has_no_missing_fields_and_no_problems() -> None:
    assert missing_required_fields(COMPLETE, PMF_LAYOUT_2021_11) == []
    assert pmf_problems(COMPLETE) == []


def test_a_missing_lot_number_is_reported_by_name() -> None:
    assert missing_required_fields(replace(COMPLETE, lot_number=None), PMF_LAYOUT_2021_11) == [
        "lot_number"
    ]


def test_a_blank_text_answer_counts_as_missing() -> None:
    assert missing_required_fields(replace(COMPLETE, hcp_email="  "), PMF_LAYOUT_2021_11) == [
        "hcp_email"
    ]


def test_a_no_answer_is_an_answer() -> None:
    # "No" to a concomitant medication is a filled field, not a missing one.
    assert missing_required_fields(replace(COMPLETE, takes_maois=False), PMF_LAYOUT_2021_11) == []


def test_an_empty_form_lists_every_2021_field_in_form_order() -> None:
    missing = missing_required_fields(PatientMonitoringForm(), PMF_LAYOUT_2021_11)
    assert missing == list(PMF_LAYOUT_2021_11.required)
    for name in (
        "patient_name",
        "takes_benzodiazepines",
        "takes_maois",
        "setting_address",
        "lot_number",
        "total_monitoring_minutes",
        "minutes_until_ready_without_rule",
        "bp_at_40_min_systolic_mmhg",
        "sedation_observed",
        "dissociation_observed",
    ):
        assert name in missing


def test_the_newer_form_fields_are_not_required_by_the_2021_layout() -> None:
    assert "takes_opioids" not in PMF_LAYOUT_2021_11.required
    assert "first_treatment" not in PMF_LAYOUT_2021_11.required


def test_an_other_dose_needs_its_mg() -> None:
    form = replace(COMPLETE, dose=PmfDose.OTHER)
    assert missing_required_fields(form, PMF_LAYOUT_2021_11) == ["dose_other_mg"]
    assert missing_required_fields(replace(form, dose_other_mg=28), PMF_LAYOUT_2021_11) == []


def test_monitoring_under_two_hours_is_a_problem() -> None:
    (problem,) = pmf_problems(replace(COMPLETE, total_monitoring_minutes=119))
    assert problem.startswith("total_monitoring_minutes:") and "120" in problem


def test_an_impossible_bp_on_the_form_is_a_problem() -> None:
    (problem,) = pmf_problems(replace(COMPLETE, bp_at_40_min_diastolic_mmhg=160))
    assert problem.startswith("bp_at_40_min_diastolic_mmhg")


def test_monitoring_minutes_round_down_so_119_and_a_half_is_not_two_hours() -> None:
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    assert total_monitoring_minutes(start, start + dt.timedelta(minutes=119, seconds=59)) == 119
    assert total_monitoring_minutes(start, start + dt.timedelta(minutes=120)) == 120


def test_monitoring_cannot_end_before_the_first_device() -> None:
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="monitoring_ended_at"):
        total_monitoring_minutes(start, start - dt.timedelta(minutes=1))


def test_the_form_is_due_seven_days_after_the_session() -> None:
    assert pmf_due_date(SESSION_DAY) == dt.date(2026, 3, 17)


def test_the_deadline_row_moves_from_due_to_due_soon_to_overdue() -> None:
    def status(today: dt.date) -> DeadlineStatus:
        return pmf_deadline(SESSION_DAY, today=today, submitted=False).status

    assert status(dt.date(2026, 3, 11)) is DeadlineStatus.DUE
    assert status(dt.date(2026, 3, 15)) is DeadlineStatus.DUE_SOON
    assert status(dt.date(2026, 3, 17)) is DeadlineStatus.DUE_SOON  # last day: still on time
    assert status(dt.date(2026, 3, 18)) is DeadlineStatus.OVERDUE


def test_a_submitted_form_is_never_overdue() -> None:
    row = pmf_deadline(SESSION_DAY, today=dt.date(2026, 4, 1), submitted=True)
    assert row.status is DeadlineStatus.SUBMITTED
    assert row.days_left == -15


@given(
    day=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
    offset=st.integers(0, 30),
)
def test_a_form_is_overdue_exactly_when_more_than_seven_days_have_passed(
    day: dt.date, offset: int
) -> None:
    row = pmf_deadline(day, today=day + dt.timedelta(days=offset), submitted=False)
    assert (row.status is DeadlineStatus.OVERDUE) == (offset > 7)
    assert row.days_left == 7 - offset


def test_the_layout_in_force_is_chosen_by_the_treatment_date() -> None:
    from ketaclinic.treatment.domain.rems import PMF_LAYOUT_CURRENT, layout_for, layout_named

    day = PMF_LAYOUT_CURRENT.effective_from
    assert layout_for(day - dt.timedelta(days=1)) is PMF_LAYOUT_2021_11
    assert layout_for(day) is PMF_LAYOUT_CURRENT
    # A stored form keeps the layout it was made with.
    assert layout_named(PMF_LAYOUT_2021_11.name) is PMF_LAYOUT_2021_11
    assert layout_named(PMF_LAYOUT_CURRENT.name) is PMF_LAYOUT_CURRENT


def test_the_current_form_requires_respiratory_monitoring_and_the_lowest_spo2() -> None:
    from ketaclinic.treatment.domain.rems import PMF_LAYOUT_CURRENT

    missing = missing_required_fields(COMPLETE, PMF_LAYOUT_CURRENT)
    for name in (
        "first_treatment",
        "patient_enrolled",
        "takes_opioids",
        "takes_other_sedating_or_bp_drugs",
        "respiratory_status_monitored",
        "pulse_oximetry_checked",
        "lowest_spo2_percent",
        "serious_adverse_event_reported",
    ):
        assert name in missing
