"""Monitoring: due and overdue items, threshold alerts, impossible values, discharge."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain.library import ESKETAMINE_TRD, IV_RACEMIC_DEPRESSION
from ketaclinic.treatment.domain.monitoring import (
    AlertKind,
    Baseline,
    DueStatus,
    ItemStatus,
    MonitoringWindows,
    Observation,
    PredoseDecision,
    Severity,
    alerts_for,
    baseline_from,
    discharge_readiness,
    effective_observation_minutes,
    evaluate_predose_bp,
    next_due,
    timeline,
    validate_observation,
)
from ketaclinic.treatment.domain.protocol import Anchor, Measure

T0 = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)  # first device
THRESHOLDS = ESKETAMINE_TRD.thresholds
ALL_CRITERIA = {c.code for c in ESKETAMINE_TRD.discharge_criteria}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def bp(minute: float, s: int, d: int) -> Observation:
    return Observation(Measure.BLOOD_PRESSURE, at(minute), systolic_mmhg=s, diastolic_mmhg=d)


def val(measure: Measure, minute: float, value: int) -> Observation:
    return Observation(measure, at(minute), value=value)


PRE_DOSE = [
    bp(-10, 128, 80),
    val(Measure.HEART_RATE, -10, 72),
    val(Measure.SPO2, -10, 98),
    val(Measure.MOAA_S, -10, 5),
    val(Measure.RESPIRATORY_RATE, -10, 16),
]


def _status(
    items: list[ItemStatus], measure: Measure, anchor: Anchor, minute: int = 0
) -> DueStatus:
    (item,) = [
        i
        for i in items
        if i.planned.measure is measure
        and i.planned.anchor is anchor
        and i.planned.minute == minute
    ]
    return item.status


# ---------------------------------------------------------------------------------------------
# Impossible values


def test_it_refuses_an_spo2_above_100_naming_the_allowed_values() -> None:
    (error,) = validate_observation(val(Measure.SPO2, 0, 101))
    assert error.field == "spo2"
    assert "1-100" in error.message and "101" in error.message


def test_it_refuses_a_diastolic_above_the_systolic() -> None:
    (error,) = validate_observation(bp(0, 80, 120))
    assert error.field == "diastolic_mmhg"
    assert "below the systolic" in error.message


def test_it_refuses_a_diastolic_equal_to_the_systolic() -> None:
    assert validate_observation(bp(0, 100, 100))


def test_it_refuses_a_heart_rate_of_zero() -> None:
    (error,) = validate_observation(val(Measure.HEART_RATE, 0, 0))
    assert error.field == "heart_rate" and "10-300" in error.message


def test_it_refuses_a_moaa_s_outside_0_to_5() -> None:
    assert [e.field for e in validate_observation(val(Measure.MOAA_S, 0, 6))] == ["moaa_s"]


def test_it_accepts_a_moaa_s_of_zero() -> None:
    assert validate_observation(val(Measure.MOAA_S, 0, 0)) == []


def test_it_refuses_a_blood_pressure_without_a_diastolic() -> None:
    obs = Observation(Measure.BLOOD_PRESSURE, at(0), systolic_mmhg=120)
    assert [e.field for e in validate_observation(obs)] == ["diastolic_mmhg"]


def test_it_refuses_an_empty_free_text_observation() -> None:
    assert [e.field for e in validate_observation(Observation(Measure.NOTE, at(0)))] == ["text"]


def test_it_refuses_a_naive_measurement_time() -> None:
    obs = Observation(Measure.SPO2, dt.datetime(2026, 3, 10, 14), value=97)  # noqa: DTZ001
    assert [e.field for e in validate_observation(obs)] == ["taken_at"]


def test_it_accepts_an_extreme_but_real_blood_pressure() -> None:
    assert validate_observation(bp(40, 220, 125)) == []


# ---------------------------------------------------------------------------------------------
# Pre-dose blood pressure


def test_a_pre_dose_bp_above_140_over_90_needs_a_prescriber_decision() -> None:
    decision, message = evaluate_predose_bp(152, 88, THRESHOLDS)
    assert decision is PredoseDecision.NEEDS_PRESCRIBER_DECISION
    assert "152/88" in message and "140/90" in message


def test_a_high_diastolic_alone_needs_a_prescriber_decision() -> None:
    assert evaluate_predose_bp(132, 94, THRESHOLDS)[0] is PredoseDecision.NEEDS_PRESCRIBER_DECISION


def test_a_pre_dose_bp_of_exactly_140_over_90_proceeds() -> None:
    assert evaluate_predose_bp(140, 90, THRESHOLDS)[0] is PredoseDecision.PROCEED


def test_the_pre_dose_threshold_is_the_protocols_setting() -> None:
    t = replace(THRESHOLDS, predose_systolic_max_mmhg=160, predose_diastolic_max_mmhg=100)
    assert evaluate_predose_bp(152, 94, t)[0] is PredoseDecision.PROCEED


# ---------------------------------------------------------------------------------------------
# Alerts


BASE = Baseline(systolic_mmhg=128, diastolic_mmhg=80, spo2=98, moaa_s=5)


def test_a_systolic_rise_of_40_raises_an_alert() -> None:
    (alert,) = alerts_for(bp(40, 168, 90), baseline=BASE, thresholds=THRESHOLDS)
    assert alert.kind is AlertKind.BP_RISE
    assert "+40/+10" in alert.message


def test_a_diastolic_rise_of_25_alone_raises_an_alert() -> None:
    (alert,) = alerts_for(bp(40, 140, 105), baseline=BASE, thresholds=THRESHOLDS)
    assert alert.kind is AlertKind.BP_RISE


def test_a_rise_of_39_over_24_raises_no_alert() -> None:
    assert alerts_for(bp(40, 167, 104), baseline=BASE, thresholds=THRESHOLDS) == []


def test_an_spo2_below_the_minimum_is_critical() -> None:
    alerts = alerts_for(val(Measure.SPO2, 40, 90), baseline=BASE, thresholds=THRESHOLDS)
    kinds = {a.kind: a.severity for a in alerts}
    assert kinds[AlertKind.SPO2_LOW] is Severity.CRITICAL
    assert AlertKind.SPO2_DROP in kinds  # 98 -> 90 is also a drop of 8 points


def test_an_spo2_drop_from_baseline_alerts_before_the_floor_is_reached() -> None:
    (alert,) = alerts_for(val(Measure.SPO2, 40, 94), baseline=BASE, thresholds=THRESHOLDS)
    assert alert.kind is AlertKind.SPO2_DROP


def test_any_moaa_s_drop_from_pre_dose_is_sedation() -> None:
    (alert,) = alerts_for(val(Measure.MOAA_S, 40, 4), baseline=BASE, thresholds=THRESHOLDS)
    assert alert.kind is AlertKind.SEDATION


def test_moaa_s_zero_is_loss_of_consciousness() -> None:
    (alert,) = alerts_for(val(Measure.MOAA_S, 40, 0), baseline=BASE, thresholds=THRESHOLDS)
    assert (alert.kind, alert.severity) == (AlertKind.LOSS_OF_CONSCIOUSNESS, Severity.CRITICAL)


def test_moaa_s_equal_to_a_lower_pre_dose_value_is_not_sedation() -> None:
    base = replace(BASE, moaa_s=4)
    assert alerts_for(val(Measure.MOAA_S, 40, 4), baseline=base, thresholds=THRESHOLDS) == []


def test_heart_rate_outside_the_protocols_range_alerts() -> None:
    (high,) = alerts_for(val(Measure.HEART_RATE, 40, 130), baseline=BASE, thresholds=THRESHOLDS)
    (low,) = alerts_for(val(Measure.HEART_RATE, 40, 45), baseline=BASE, thresholds=THRESHOLDS)
    assert (high.kind, low.kind) == (AlertKind.HEART_RATE_HIGH, AlertKind.HEART_RATE_LOW)


def test_alerts_refuse_an_unvalidated_impossible_value() -> None:
    with pytest.raises(ValueError, match="validate"):
        alerts_for(val(Measure.SPO2, 40, 120), baseline=BASE, thresholds=THRESHOLDS)


def test_the_baseline_is_the_last_reading_before_dosing() -> None:
    obs = [bp(-30, 150, 95), bp(-5, 132, 84), bp(40, 160, 90), *PRE_DOSE[1:]]
    base = baseline_from(obs, T0)
    assert (base.systolic_mmhg, base.diastolic_mmhg, base.spo2, base.moaa_s) == (132, 84, 98, 5)


@given(
    s0=st.integers(90, 180),
    d0=st.integers(50, 89),
    ds=st.integers(-30, 80),
    dd=st.integers(-20, 50),
)
def test_a_bp_rise_alerts_exactly_when_a_threshold_is_reached(
    s0: int, d0: int, ds: int, dd: int
) -> None:
    obs = bp(40, s0 + ds, d0 + dd)
    if validate_observation(obs):
        return
    alerts = alerts_for(obs, baseline=Baseline(s0, d0), thresholds=THRESHOLDS)
    assert any(a.kind is AlertKind.BP_RISE for a in alerts) == (ds >= 40 or dd >= 25)


# ---------------------------------------------------------------------------------------------
# Due and overdue


def test_before_dosing_the_pre_dose_vitals_are_due_and_the_rest_pending() -> None:
    items = timeline(ESKETAMINE_TRD, dose_started_at=None, now=at(-20), observations=[])
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.PRE_DOSE) is DueStatus.DUE
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40) is DueStatus.PENDING
    assert DueStatus.DUE.colour == "amber"


def test_the_40_minute_bp_is_pending_then_amber_then_red() -> None:
    def status(minute: float) -> DueStatus:
        items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(minute), observations=PRE_DOSE)
        return _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40)

    assert status(30) is DueStatus.PENDING
    assert status(36) is DueStatus.DUE  # within the 5-minute early window
    assert status(50) is DueStatus.DUE  # amber until 10 minutes late
    assert status(50.1) is DueStatus.OVERDUE
    assert DueStatus.OVERDUE.colour == "red"


def test_a_bp_taken_at_38_minutes_satisfies_the_40_minute_item() -> None:
    items = timeline(
        ESKETAMINE_TRD, dose_started_at=T0, now=at(60), observations=[*PRE_DOSE, bp(38, 140, 85)]
    )
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40) is DueStatus.DONE


def test_a_bp_taken_at_20_minutes_does_not_count_for_the_40_minute_item() -> None:
    items = timeline(
        ESKETAMINE_TRD, dose_started_at=T0, now=at(60), observations=[*PRE_DOSE, bp(20, 140, 85)]
    )
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40) is DueStatus.OVERDUE


def test_one_reading_satisfies_only_one_planned_item() -> None:
    obs = [*PRE_DOSE, bp(40, 140, 85)]
    items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(108), observations=obs)
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40) is DueStatus.DONE
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.BEFORE_DISCHARGE) is DueStatus.DUE


def test_a_missing_pre_dose_reading_turns_red_once_dosing_started() -> None:
    items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(1), observations=PRE_DOSE[1:])
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.PRE_DOSE) is DueStatus.OVERDUE


def test_before_discharge_checks_fall_due_15_minutes_before_two_hours() -> None:
    items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(100), observations=PRE_DOSE)
    assert _status(items, Measure.SPO2, Anchor.BEFORE_DISCHARGE) is DueStatus.DUE
    due = next(
        i.due_at
        for i in items
        if i.planned.anchor is Anchor.BEFORE_DISCHARGE and i.planned.measure is Measure.SPO2
    )
    assert due == at(105)


def test_the_grace_windows_are_settings() -> None:
    windows = MonitoringWindows(early_minutes=0, overdue_after_minutes=2)
    items = timeline(
        ESKETAMINE_TRD, dose_started_at=T0, now=at(43), observations=PRE_DOSE, windows=windows
    )
    assert _status(items, Measure.BLOOD_PRESSURE, Anchor.DOSE_START, 40) is DueStatus.OVERDUE


def test_what_is_next_is_the_overdue_item_first() -> None:
    obs = [*PRE_DOSE]
    items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(55), observations=obs)
    first = next_due(items)
    assert first is not None and first.status is DueStatus.OVERDUE
    assert first.planned.minute == 40


def test_what_is_next_before_anything_is_due_is_the_earliest_pending_item() -> None:
    items = timeline(ESKETAMINE_TRD, dose_started_at=T0, now=at(5), observations=PRE_DOSE)
    first = next_due(items)
    assert first is not None and first.status is DueStatus.PENDING
    assert first.due_at == at(40)


# ---------------------------------------------------------------------------------------------
# Discharge


FULL_SESSION = [
    *PRE_DOSE,
    bp(40, 150, 88),
    val(Measure.SPO2, 40, 97),
    val(Measure.MOAA_S, 40, 4),
    val(Measure.CADSS, 40, 12),
    val(Measure.RESPIRATORY_RATE, 40, 14),
    bp(110, 132, 82),
    val(Measure.SPO2, 110, 98),
    val(Measure.RESPIRATORY_RATE, 110, 16),
    val(Measure.MOAA_S, 110, 5),
    val(Measure.CADSS, 110, 0),
]


def test_esketamine_discharge_is_refused_before_120_minutes() -> None:
    r = discharge_readiness(
        ESKETAMINE_TRD,
        dose_started_at=T0,
        now=at(119),
        criteria_met=ALL_CRITERIA,
        observations=FULL_SESSION,
    )
    assert not r.ready
    assert r.reasons == (
        "Observation time not reached: 120 minutes from the start of dosing are needed "
        "(1 min to go).",
    )


def test_esketamine_discharge_is_allowed_at_120_minutes_with_everything_done() -> None:
    r = discharge_readiness(
        ESKETAMINE_TRD,
        dose_started_at=T0,
        now=at(120),
        criteria_met=ALL_CRITERIA,
        observations=FULL_SESSION,
    )
    assert r.ready and r.reasons == ()
    assert r.earliest_at == at(120)


def test_the_esketamine_two_hours_cannot_be_shortened_by_a_stored_protocol() -> None:
    short = replace(ESKETAMINE_TRD, min_observation_minutes=60)
    assert effective_observation_minutes(short) == 120
    r = discharge_readiness(
        short, dose_started_at=T0, now=at(90), criteria_met=ALL_CRITERIA, observations=FULL_SESSION
    )
    assert not r.ready


@pytest.mark.parametrize(
    ("hepatic", "ready"), [("none", True), ("mild", True), ("moderate", False)]
)
def test_moderate_hepatic_impairment_holds_discharge_to_the_longer_observation(
    hepatic: str, ready: bool
) -> None:
    """Esketamine PI 8.6: moderate hepatic impairment may need longer monitoring; the shipped
    esketamine protocols set it, and discharge waits for it (not only the dose page's note)."""
    longer = ESKETAMINE_TRD.min_observation_minutes_moderate_hepatic
    assert longer is not None and longer > 120
    r = discharge_readiness(
        ESKETAMINE_TRD,
        dose_started_at=T0,
        now=at(120),
        criteria_met=ALL_CRITERIA,
        observations=FULL_SESSION,
        hepatic_impairment=hepatic,
    )
    assert r.ready is ready
    if not ready:
        assert r.earliest_at == at(longer)
        assert f"{longer} minutes from the start of dosing" in r.reasons[0]


def test_a_racemic_protocol_uses_its_own_observation_time() -> None:
    assert effective_observation_minutes(IV_RACEMIC_DEPRESSION) == 80


def test_discharge_needs_every_criterion_checked() -> None:
    r = discharge_readiness(
        ESKETAMINE_TRD,
        dose_started_at=T0,
        now=at(130),
        criteria_met=ALL_CRITERIA - {"ride_home_confirmed"},
        observations=FULL_SESSION,
    )
    assert r.reasons == ("Not checked: Ride home confirmed; patient escorted out",)


def test_discharge_needs_the_before_discharge_measurements() -> None:
    obs = [
        o
        for o in FULL_SESSION
        if not (o.measure is Measure.BLOOD_PRESSURE and o.taken_at == at(110))
    ]
    r = discharge_readiness(
        ESKETAMINE_TRD, dose_started_at=T0, now=at(130), criteria_met=ALL_CRITERIA, observations=obs
    )
    assert r.reasons == ("Not measured before discharge: blood pressure",)


def test_discharge_waits_while_moaa_s_is_below_its_pre_dose_value() -> None:
    obs = [*FULL_SESSION, val(Measure.MOAA_S, 125, 4)]
    r = discharge_readiness(
        ESKETAMINE_TRD, dose_started_at=T0, now=at(130), criteria_met=ALL_CRITERIA, observations=obs
    )
    assert r.reasons == ("MOAA/S back to the pre-dose value: Latest MOAA/S 4 is below pre-dose 5.",)


def test_discharge_waits_for_unresolved_alerts() -> None:
    r = discharge_readiness(
        ESKETAMINE_TRD,
        dose_started_at=T0,
        now=at(130),
        criteria_met=ALL_CRITERIA,
        observations=FULL_SESSION,
        unresolved_alerts=1,
    )
    assert not r.ready


def test_discharge_before_dosing_is_refused() -> None:
    r = discharge_readiness(
        ESKETAMINE_TRD, dose_started_at=None, now=at(0), criteria_met=ALL_CRITERIA, observations=[]
    )
    assert not r.ready and r.earliest_at is None
