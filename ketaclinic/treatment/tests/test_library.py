"""The shipped protocols carry the numbers of clinical.md and the issue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaclinic.treatment.domain.library import (
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_RACEMIC_DEPRESSION,
    IV_RACEMIC_CRPS,
    IV_RACEMIC_DEPRESSION,
    ORAL_RACEMIC_DEPRESSION,
    SHIPPED_PROTOCOLS,
)
from ketaclinic.treatment.domain.protocol import Anchor, DoseBasis, Drug, Frequency, Measure, Route
from ketaclinic.treatment.domain.validation import validate_protocol


@pytest.mark.parametrize("code", sorted(SHIPPED_PROTOCOLS))
def test_every_shipped_protocol_is_valid_and_cites_sources(code: str) -> None:
    p = SHIPPED_PROTOCOLS[code]
    assert validate_protocol(p) == []
    assert p.sources


def test_it_ships_the_protocols_of_issues_four_and_sixteen() -> None:
    assert set(SHIPPED_PROTOCOLS) == {
        "esketamine_trd",
        "esketamine_mdsi",
        "iv_racemic_depression",
        "iv_racemic_crps",
        "im_racemic_depression",
        "oral_racemic_depression",
        "iv_racemic_ptsd",
        "iv_racemic_ocd",
        "sc_racemic_anxiety",
        "in_racemic_depression",
    }


def test_esketamine_trd_starts_at_56_mg_and_allows_84_only_after_56() -> None:
    d = ESKETAMINE_TRD.dose
    assert d.first_dose_mg == Decimal("56")
    assert d.fixed_doses_mg == (Decimal("56"), Decimal("84"))
    assert [(e.dose_mg, e.requires_prior_mg) for e in d.escalations] == [
        (Decimal("84"), Decimal("56"))
    ]


def test_esketamine_trd_schedule_is_twice_weekly_then_weekly_then_weekly_or_fortnightly() -> None:
    induction, optimisation, maintenance = ESKETAMINE_TRD.schedule
    assert (induction.frequency, induction.length_weeks) == (Frequency(2, 1), 4)
    assert (optimisation.frequency, optimisation.length_weeks) == (Frequency(1, 1), 4)
    assert maintenance.length_weeks is None
    assert {maintenance.frequency, *maintenance.alternatives} == {Frequency(1, 2), Frequency(1, 1)}


def test_esketamine_protocols_observe_two_hours_with_28_mg_devices_five_minutes_apart() -> None:
    for p in (ESKETAMINE_TRD, ESKETAMINE_MDSI):
        assert p.min_observation_minutes == 120
        assert p.devices is not None
        assert p.devices.mg_per_device == Decimal("28")
        assert p.devices.minutes_between_devices == 5
        assert p.rems_required and p.route is Route.ESKETAMINE_NASAL


def test_esketamine_bp_is_planned_before_dosing_at_40_minutes_and_before_discharge() -> None:
    bp = [
        (m.anchor, m.minute)
        for m in ESKETAMINE_TRD.monitoring
        if m.measure is Measure.BLOOD_PRESSURE
    ]
    assert bp == [(Anchor.PRE_DOSE, 0), (Anchor.DOSE_START, 40), (Anchor.BEFORE_DISCHARGE, 0)]


def test_esketamine_mdsi_is_84_mg_twice_weekly_for_four_weeks() -> None:
    assert ESKETAMINE_MDSI.dose.usual == Decimal("84")
    assert ESKETAMINE_MDSI.dose.first_dose_mg == Decimal("84")
    assert ESKETAMINE_MDSI.dose.escalations == ()
    (phase,) = ESKETAMINE_MDSI.schedule
    assert (phase.frequency, phase.length_weeks) == (Frequency(2, 1), 4)


def test_iv_racemic_depression_is_half_a_mg_per_kg_over_40_minutes_for_six_sessions() -> None:
    p = IV_RACEMIC_DEPRESSION
    assert p.dose.basis is DoseBasis.MG_PER_KG
    # Usual 0.5, studied 0.1-0.75 (override above), refused above 1.0 [Andrade17; Fava 2020].
    assert (p.dose.usual, p.dose.minimum, p.dose.maximum, p.dose.cap) == (
        Decimal("0.5"),
        Decimal("0.1"),
        Decimal("0.75"),
        Decimal("1.0"),
    )
    assert p.infusion_minutes == 40
    (phase,) = p.schedule
    assert phase.session_count == 6
    # Six sessions over two to three weeks: twice weekly for 3, or three a week for 2.
    assert {phase.frequency, *phase.alternatives} == {Frequency(2, 1), Frequency(3, 1)}
    assert p.off_label and not p.experimental


def test_iv_crps_follows_the_2018_consensus_rate_over_four_hours_for_ten_sessions() -> None:
    p = IV_RACEMIC_CRPS
    assert p.dose.basis is DoseBasis.MG_PER_KG_PER_HOUR
    assert p.dose.usual == Decimal("0.35")
    assert p.infusion_minutes == 240
    assert p.schedule[0].session_count == 10


def test_im_and_oral_racemic_ketamine_are_marked_off_label_and_experimental() -> None:
    for p in (IM_RACEMIC_DEPRESSION, ORAL_RACEMIC_DEPRESSION):
        assert p.off_label and p.experimental
        assert p.drug is Drug.RACEMIC_KETAMINE


def test_esketamine_is_never_marked_off_label() -> None:
    assert not ESKETAMINE_TRD.off_label and not ESKETAMINE_MDSI.off_label


def test_oral_ketamine_is_capped_at_300_mg_whatever_the_weight() -> None:
    assert ORAL_RACEMIC_DEPRESSION.dose.cap_total_mg == Decimal("300")


def test_the_shipped_pre_dose_hold_is_140_over_90_and_the_rise_alert_40_over_25() -> None:
    for p in SHIPPED_PROTOCOLS.values():
        t = p.thresholds
        assert (t.predose_systolic_max_mmhg, t.predose_diastolic_max_mmhg) == (140, 90)
        assert (t.bp_rise_systolic_mmhg, t.bp_rise_diastolic_mmhg) == (40, 25)


def test_every_pre_session_scale_is_a_code_the_scales_app_registers() -> None:
    from ketaclinic.scales import list_scales

    registered = {s.code for s in list_scales()}
    for p in SHIPPED_PROTOCOLS.values():
        assert set(p.pre_session_scales) <= registered, (p.code, p.pre_session_scales)
        follow_ups = {r.scale for r in p.follow_up_ratings}
        assert follow_ups <= registered, (p.code, follow_ups)
    assert ESKETAMINE_TRD.pre_session_scales == ("phq9", "cssrs_screener")
    assert IV_RACEMIC_CRPS.pre_session_scales == ("nrs_pain", "bpi_sf")
