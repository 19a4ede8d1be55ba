"""Issue 16: the protocols for PTSD, OCD, anxiety (subcutaneous, ascending doses) and intranasal
racemic depression; the subcutaneous and intranasal racemic routes; ascending-dose phases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.scales import list_scales
from ketaclinic.treatment import safety
from ketaclinic.treatment.domain import ceilings, dosing
from ketaclinic.treatment.domain.dose_plan import step_amount, step_choices, step_problem
from ketaclinic.treatment.domain.exposure import SUBCUTANEOUS_ASSUMPTION, build_exposure
from ketaclinic.treatment.domain.library import (
    IN_RACEMIC_DEPRESSION,
    IV_RACEMIC_OCD,
    IV_RACEMIC_PTSD,
    SC_RACEMIC_ANXIETY,
    SHIPPED_PROTOCOLS,
)
from ketaclinic.treatment.domain.protocol import (
    DeviceRule,
    DoseBasis,
    Drug,
    Protocol,
    Route,
)
from ketaclinic.treatment.domain.protocol_json import protocol_from_dict, protocol_to_dict
from ketaclinic.treatment.domain.validation import validate_protocol

D = Decimal
NEW = (IV_RACEMIC_PTSD, IV_RACEMIC_OCD, SC_RACEMIC_ANXIETY, IN_RACEMIC_DEPRESSION)
NEW_IDS = [p.code for p in NEW]


@pytest.mark.parametrize("protocol", NEW, ids=NEW_IDS)
def test_each_new_protocol_passes_its_ceiling_rows_and_names_only_registered_scales(
    protocol: Protocol,
) -> None:
    assert validate_protocol(protocol) == []
    assert ceilings.ceilings_for(protocol), "a drug and route without a ceiling row"
    assert ceilings.protocol_problems(protocol) == []
    registered = {s.code for s in list_scales()}
    assert set(protocol.pre_session_scales) <= registered


@pytest.mark.parametrize("protocol", NEW, ids=NEW_IDS)
def test_each_new_protocol_is_racemic_off_label_and_files_no_rems_form(protocol: Protocol) -> None:
    assert protocol.drug is Drug.RACEMIC_KETAMINE
    assert protocol.off_label
    assert not protocol.rems_required
    # clinical.md 13: OCD, anxiety and intranasal are experimental; PTSD is not marked so.
    assert protocol.experimental is (protocol is not IV_RACEMIC_PTSD)


@pytest.mark.parametrize("protocol", NEW, ids=NEW_IDS)
def test_each_new_protocol_simulates_with_no_warning_but_its_labelled_assumptions(
    protocol: Protocol,
) -> None:
    view = build_exposure(protocol, 70.0, n=40)
    # The only warnings are about the IV spread models compared beside the main model.
    spread = {c.model_id for c in view.spread}
    assert [w for w in view.warnings if w.model_id not in spread] == []
    assert view.assumptions
    if protocol.route is Route.SUBCUTANEOUS:
        assert view.assumptions[0] == SUBCUTANEOUS_ASSUMPTION
        assert any("IM bioavailability" in a and "assumption" in a for a in view.assumptions)
    if protocol.route is Route.INTRANASAL_RACEMIC:
        assert any("intranasal bioavailability" in a for a in view.assumptions)


def test_intranasal_racemic_is_simulated_as_five_sprays_five_minutes_apart() -> None:
    view = build_exposure(IN_RACEMIC_DEPRESSION, 70.0, n=40)
    assert [(d.mg, d.start_min) for d in view.plan.doses] == [
        (10.0, 0.0),
        (10.0, 5.0),
        (10.0, 10.0),
        (10.0, 15.0),
        (10.0, 20.0),
    ]
    assert "5 sprays of 10 mg, 5 min apart" in view.plan.description


def test_through_dose_check_ptsd_at_70_kg_and_half_a_mg_per_kg_is_35_mg_over_40_minutes() -> None:
    check = safety.dose_check("iv_racemic_ptsd", weight_kg=70, amount="0.5")
    assert check.verdict == "ok"
    assert check.dose_mg == D("35")
    assert check.rate_mg_per_h == D("52.5")


def test_through_dose_check_intranasal_50_mg_is_five_10_mg_sprays() -> None:
    check = safety.dose_check("in_racemic_depression", weight_kg=70, amount="50")
    assert check.verdict == "ok"
    assert (check.dose_mg, check.unit_count, check.unit_name) == (D("50"), 5, "spray")


def test_intranasal_above_50_mg_is_refused_by_the_ceiling_and_45_mg_is_not_whole_sprays() -> None:
    assert safety.dose_check("in_racemic_depression", weight_kg=70, amount="60").verdict == (
        "refused"
    )
    odd = safety.dose_check("in_racemic_depression", weight_kg=70, amount="45")
    assert odd.verdict != "ok"


def test_through_dose_check_the_anxiety_protocols_third_step_is_1_mg_per_kg() -> None:
    steps = [
        safety.dose_check(
            "sc_racemic_anxiety", weight_kg=70, phase_code="titration", session_in_phase=n
        )
        for n in (1, 2, 3)
    ]
    assert [c.amount for c in steps] == [D("0.25"), D("0.5"), D("1.0")]
    assert [c.dose_mg for c in steps] == [D("17.5"), D("35"), D("70")]
    assert all(c.verdict == "ok" for c in steps)


def test_another_amount_than_the_sessions_step_needs_a_prescribers_override() -> None:
    early = safety.dose_check(
        "sc_racemic_anxiety",
        weight_kg=70,
        amount="1.0",
        phase_code="titration",
        session_in_phase=1,
    )
    assert early.verdict == "override_required"
    assert "step 0.25 mg/kg" in early.messages[0]


def test_maintenance_takes_any_step_that_worked_and_anything_else_needs_an_override() -> None:
    assert step_choices(SC_RACEMIC_ANXIETY, "maintenance") == (D("0.25"), D("0.5"), D("1.0"))
    assert step_amount(SC_RACEMIC_ANXIETY, "maintenance", 1) is None
    for amount in ("0.25", "0.5", "1.0"):
        check = safety.dose_check(
            "sc_racemic_anxiety",
            weight_kg=70,
            amount=amount,
            phase_code="maintenance",
            session_in_phase=4,
        )
        assert check.verdict == "ok", check.messages
    other = step_problem(SC_RACEMIC_ANXIETY, "maintenance", 1, D("0.7"))
    assert other is not None and "override" in other


def test_subcutaneous_above_1_mg_per_kg_is_refused_whatever_the_protocol_allows() -> None:
    check = safety.dose_check("sc_racemic_anxiety", weight_kg=70, amount="1.1")
    assert check.verdict == "refused"
    assert "subcutaneous" in check.messages[0] and "Glue" in check.messages[0]
    loose = dataclasses.replace(
        SC_RACEMIC_ANXIETY, dose=dataclasses.replace(SC_RACEMIC_ANXIETY.dose, cap=D("1.5"))
    )
    assert any(e.field == "dose.cap" for e in validate_protocol(loose))


def test_an_unknown_phase_is_refused_naming_the_phases() -> None:
    check = safety.dose_check("sc_racemic_anxiety", weight_kg=70, phase_code="induction")
    assert check.verdict == "refused"
    assert "titration, maintenance" in check.messages[0]


def test_steps_must_ascend_match_the_session_count_and_stay_in_range() -> None:
    titration = SC_RACEMIC_ANXIETY.schedule[0]
    bad = dataclasses.replace(
        SC_RACEMIC_ANXIETY,
        schedule=(
            dataclasses.replace(titration, dose_steps=(D("0.5"), D("0.25"), D("2"), D("1"))),
            SC_RACEMIC_ANXIETY.schedule[1],
        ),
    )
    fields = {e.field for e in validate_protocol(bad)}
    assert "schedule[0].session_count" in fields  # 4 steps, 3 sessions
    assert "schedule[0].dose_steps[1]" in fields  # descends
    assert "schedule[0].dose_steps[2]" in fields  # outside the range


def test_maintenance_must_name_an_earlier_phase_with_steps() -> None:
    maintenance = dataclasses.replace(SC_RACEMIC_ANXIETY.schedule[1], dose_from_steps_of="nope")
    bad = dataclasses.replace(
        SC_RACEMIC_ANXIETY, schedule=(SC_RACEMIC_ANXIETY.schedule[0], maintenance)
    )
    errors = [e for e in validate_protocol(bad) if e.field == "schedule[1].dose_from_steps_of"]
    assert errors and "allowed: [titration]" in errors[0].message


def test_intranasal_racemic_needs_a_spray_rule_and_whole_sprays() -> None:
    no_rule = dataclasses.replace(IN_RACEMIC_DEPRESSION, devices=None)
    assert any(e.field == "devices" for e in validate_protocol(no_rule))
    odd = dataclasses.replace(
        IN_RACEMIC_DEPRESSION,
        devices=DeviceRule(D("15"), 5, unit="spray", concentration_mg_per_ml=D("100")),
    )
    assert any("whole number of 15 mg sprays" in e.message for e in validate_protocol(odd))
    esk_style = dataclasses.replace(
        IN_RACEMIC_DEPRESSION, devices=DeviceRule(D("10"), 5, concentration_mg_per_ml=D("100"))
    )
    assert any(e.field == "devices.unit" for e in validate_protocol(esk_style))


def test_spray_timing_refuses_sprays_closer_than_five_minutes() -> None:
    rule = IN_RACEMIC_DEPRESSION.devices
    assert rule is not None
    t0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    ok = [t0 + dt.timedelta(minutes=5 * i) for i in range(5)]
    assert dosing.check_device_timing(ok, rule) == []
    close = [*ok[:4], ok[3] + dt.timedelta(minutes=2)]
    (problem,) = dosing.check_device_timing(close, rule)
    assert problem.startswith("Spray 5 was given 2.0 min after spray 4")


def test_new_protocols_round_trip_through_json_and_old_ones_dump_as_before() -> None:
    for p in NEW:
        assert protocol_from_dict(protocol_to_dict(p)) == p
    trd = protocol_to_dict(SHIPPED_PROTOCOLS["esketamine_trd"])
    assert set(trd["devices"]) == {"mg_per_device", "minutes_between_devices"}
    assert all("dose_steps" not in ph for ph in trd["schedule"])
    steps = protocol_to_dict(SC_RACEMIC_ANXIETY)["schedule"][0]["dose_steps"]
    assert steps == ["0.25", "0.5", "1.0"]


@given(
    weight=st.decimals(min_value=20, max_value=350, places=1),
    session=st.integers(min_value=1, max_value=3),
)
def test_every_anxiety_step_stays_under_the_subcutaneous_ceiling_for_any_weight(
    weight: Decimal, session: int
) -> None:
    check = safety.dose_check(
        "sc_racemic_anxiety", weight_kg=weight, phase_code="titration", session_in_phase=session
    )
    assert check.verdict == "ok", check.messages
    assert check.dose_mg is not None and check.dose_mg <= weight * D("1.0")


def test_sprays_are_fixed_mg_and_subcutaneous_is_mg_per_kg() -> None:
    assert IN_RACEMIC_DEPRESSION.dose.basis is DoseBasis.FIXED_MG
    assert SC_RACEMIC_ANXIETY.route is Route.SUBCUTANEOUS
    assert SC_RACEMIC_ANXIETY.dose.basis is DoseBasis.MG_PER_KG
