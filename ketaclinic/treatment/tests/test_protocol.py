"""Protocol validation and the strict JSON form."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from decimal import Decimal

import pytest

from ketaclinic.treatment.domain.library import (
    ESKETAMINE_TRD,
    IV_RACEMIC_DEPRESSION,
    SHIPPED_PROTOCOLS,
)
from ketaclinic.treatment.domain.protocol import (
    Anchor,
    DeviceRule,
    DoseBasis,
    Drug,
    Frequency,
    Measure,
    Phase,
    PlannedMeasurement,
    Protocol,
    Route,
)
from ketaclinic.treatment.domain.protocol_json import (
    ProtocolParseError,
    protocol_from_dict,
    protocol_to_dict,
)
from ketaclinic.treatment.domain.validation import validate_protocol


def _fields(p: Protocol) -> list[str]:
    return [e.field for e in validate_protocol(p)]


def test_it_refuses_an_allowed_range_beyond_the_cap() -> None:
    p = replace(
        IV_RACEMIC_DEPRESSION, dose=replace(IV_RACEMIC_DEPRESSION.dose, maximum=Decimal("1.5"))
    )
    errors = validate_protocol(p)
    # The cap, and the ceilings (1.0 mg/kg per session, 1.5 mg/kg/h over the infusion).
    assert {e.field for e in errors} == {"dose.maximum"}
    assert "dose.cap" in str(errors[0])
    assert "cap" in errors[0].message and "1.0" in errors[0].message


def test_it_refuses_an_esketamine_observation_below_two_hours() -> None:
    p = replace(ESKETAMINE_TRD, min_observation_minutes=90)
    errors = validate_protocol(p)
    assert [e.field for e in errors] == ["min_observation_minutes"]
    assert "120" in errors[0].message


def test_it_accepts_an_esketamine_observation_longer_than_two_hours() -> None:
    assert validate_protocol(replace(ESKETAMINE_TRD, min_observation_minutes=150)) == []


def test_it_allows_a_racemic_protocol_to_observe_for_less_than_two_hours() -> None:
    assert validate_protocol(replace(IV_RACEMIC_DEPRESSION, min_observation_minutes=60)) == []


def test_it_refuses_an_observation_shorter_than_the_infusion() -> None:
    p = replace(IV_RACEMIC_DEPRESSION, min_observation_minutes=30)
    assert _fields(p) == ["min_observation_minutes"]


def test_it_refuses_esketamine_doses_that_are_not_whole_devices() -> None:
    dose = replace(ESKETAMINE_TRD.dose, fixed_doses_mg=(Decimal("56"), Decimal("70")))
    p = replace(ESKETAMINE_TRD, dose=dose)
    assert "dose.fixed_doses_mg[1]" in _fields(p)


def test_it_refuses_a_device_rest_shorter_than_five_minutes() -> None:
    p = replace(ESKETAMINE_TRD, devices=DeviceRule(Decimal("28"), 3))
    errors = validate_protocol(p)
    assert [e.field for e in errors] == ["devices.minutes_between_devices"]
    assert "at least 5" in errors[0].message


def test_it_refuses_esketamine_without_a_device_rule_or_by_another_route() -> None:
    assert "devices" in _fields(replace(ESKETAMINE_TRD, devices=None))
    assert "route" in _fields(replace(ESKETAMINE_TRD, route=Route.IV_INFUSION))


def test_it_refuses_racemic_ketamine_as_the_esketamine_device() -> None:
    errors = validate_protocol(replace(IV_RACEMIC_DEPRESSION, route=Route.ESKETAMINE_NASAL))
    route = next(e for e in errors if e.field == "route")
    assert "iv_infusion" in route.message  # names the allowed routes


def test_it_refuses_an_iv_infusion_without_a_duration() -> None:
    assert _fields(replace(IV_RACEMIC_DEPRESSION, infusion_minutes=None)) == ["infusion_minutes"]


def test_it_refuses_a_duration_on_a_route_that_is_not_an_infusion() -> None:
    p = replace(IV_RACEMIC_DEPRESSION, route=Route.IM, infusion_minutes=40)
    assert "infusion_minutes" in _fields(p)


def test_it_refuses_a_rate_based_dose_outside_an_infusion() -> None:
    dose = replace(IV_RACEMIC_DEPRESSION.dose, basis=DoseBasis.MG_PER_KG_PER_HOUR)
    p = replace(IV_RACEMIC_DEPRESSION, route=Route.IM, infusion_minutes=None, dose=dose)
    assert _fields(p) == ["dose.basis"]


def test_it_refuses_a_usual_dose_outside_the_range_and_a_minimum_above_the_maximum() -> None:
    dose = replace(IV_RACEMIC_DEPRESSION.dose, minimum=Decimal("0.8"), maximum=Decimal("0.6"))
    fields = _fields(replace(IV_RACEMIC_DEPRESSION, dose=dose))
    assert "dose.minimum" in fields and "dose.usual" in fields


def test_it_refuses_a_zero_or_negative_dose_number() -> None:
    dose = replace(IV_RACEMIC_DEPRESSION.dose, cap=Decimal("0"))
    assert _fields(replace(IV_RACEMIC_DEPRESSION, dose=dose)) == ["dose.cap"]


def test_it_refuses_more_sessions_than_days_in_the_period() -> None:
    phase = Phase("x", "X", Frequency(sessions=8, per_weeks=1), length_weeks=2)
    errors = validate_protocol(replace(IV_RACEMIC_DEPRESSION, schedule=(phase,)))
    assert [e.field for e in errors] == ["schedule[0].frequency.sessions"]
    assert "1-7" in errors[0].message


def test_it_refuses_an_open_ended_phase_before_the_last() -> None:
    first = Phase("a", "A", Frequency(1), length_weeks=None)
    second = Phase("b", "B", Frequency(1), length_weeks=4)
    p = replace(IV_RACEMIC_DEPRESSION, schedule=(first, second))
    assert _fields(p) == ["schedule[0].length_weeks"]


def test_it_refuses_an_empty_schedule() -> None:
    assert _fields(replace(IV_RACEMIC_DEPRESSION, schedule=())) == ["schedule"]


def test_it_requires_a_pre_dose_blood_pressure_as_the_rise_baseline() -> None:
    plan = tuple(m for m in IV_RACEMIC_DEPRESSION.monitoring if m.anchor is not Anchor.PRE_DOSE)
    assert _fields(replace(IV_RACEMIC_DEPRESSION, monitoring=plan)) == ["monitoring"]


def test_it_requires_esketamine_blood_pressure_at_forty_minutes() -> None:
    plan = tuple(
        m
        for m in ESKETAMINE_TRD.monitoring
        if not (m.measure is Measure.BLOOD_PRESSURE and m.minute == 40)
    )
    errors = validate_protocol(replace(ESKETAMINE_TRD, monitoring=plan))
    assert len(errors) == 1 and "+40" in errors[0].message


def test_it_refuses_a_minute_on_a_pre_dose_item() -> None:
    plan = (
        *IV_RACEMIC_DEPRESSION.monitoring,
        PlannedMeasurement(Measure.SPO2, Anchor.PRE_DOSE, 10),
    )
    assert _fields(replace(IV_RACEMIC_DEPRESSION, monitoring=plan)) == [
        f"monitoring[{len(plan) - 1}].minute"
    ]


def test_it_refuses_thresholds_outside_plausible_bounds() -> None:
    t = replace(IV_RACEMIC_DEPRESSION.thresholds, spo2_min_percent=100, heart_rate_max_bpm=40)
    fields = _fields(replace(IV_RACEMIC_DEPRESSION, thresholds=t))
    assert "thresholds.spo2_min_percent" in fields
    assert "thresholds.heart_rate_max_bpm" in fields


def test_it_requires_the_rems_flag_for_esketamine_only() -> None:
    assert _fields(replace(ESKETAMINE_TRD, rems_required=False)) == ["rems_required"]
    assert _fields(replace(IV_RACEMIC_DEPRESSION, rems_required=True)) == ["rems_required"]


def test_it_requires_at_least_one_source() -> None:
    assert _fields(replace(IV_RACEMIC_DEPRESSION, sources=())) == ["sources"]


def test_an_escalation_must_step_up_from_a_lower_dose() -> None:
    esc = replace(ESKETAMINE_TRD.dose.escalations[0], requires_prior_mg=Decimal("84"))
    dose = replace(ESKETAMINE_TRD.dose, escalations=(esc,))
    assert _fields(replace(ESKETAMINE_TRD, dose=dose)) == ["dose.escalations[0].requires_prior_mg"]


# ---------------------------------------------------------------------------------------------
# JSON


@pytest.mark.parametrize("code", sorted(SHIPPED_PROTOCOLS))
def test_every_shipped_protocol_survives_a_json_round_trip(code: str) -> None:
    p = SHIPPED_PROTOCOLS[code]
    text = json.dumps(protocol_to_dict(p))
    assert protocol_from_dict(json.loads(text)) == p


def test_doses_are_stored_as_decimal_strings_not_floats() -> None:
    d = protocol_to_dict(IV_RACEMIC_DEPRESSION)
    assert d["dose"]["usual"] == "0.5"
    assert d["drug"] == "racemic_ketamine"


def _trd_dict() -> dict[str, object]:
    return copy.deepcopy(protocol_to_dict(ESKETAMINE_TRD))


def test_parsing_names_an_unknown_field() -> None:
    data = _trd_dict()
    data["dose"]["extra"] = 1  # type: ignore[index]  # the test writes into nested JSON
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "dose.extra"
    assert "allowed" in exc.value.message


def test_parsing_names_a_missing_field() -> None:
    data = _trd_dict()
    del data["thresholds"]["spo2_min_percent"]  # type: ignore[attr-defined]  # nested JSON
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "thresholds.spo2_min_percent"


def test_parsing_names_an_invalid_choice_and_lists_the_allowed_values() -> None:
    data = _trd_dict()
    data["drug"] = "ketamine"
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "drug"
    assert "esketamine" in exc.value.message and "racemic_ketamine" in exc.value.message


def test_parsing_refuses_a_float_dose() -> None:
    data = _trd_dict()
    data["dose"]["usual"] = 56.0  # type: ignore[index]  # nested JSON
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "dose.usual"


def test_parsing_refuses_a_boolean_where_a_number_is_expected() -> None:
    data = _trd_dict()
    data["min_observation_minutes"] = True
    with pytest.raises(ProtocolParseError, match="min_observation_minutes"):
        protocol_from_dict(data)


def test_parsing_names_the_position_inside_a_list() -> None:
    data = _trd_dict()
    data["schedule"][1]["frequency"]["sessions"] = "one"  # type: ignore[index]  # nested JSON
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "schedule[1].frequency.sessions"


def test_parsing_refuses_a_non_object() -> None:
    with pytest.raises(ProtocolParseError, match="expected an object"):
        protocol_from_dict([])


def test_parsing_refuses_not_a_number_in_a_decimal() -> None:
    data = _trd_dict()
    data["dose"]["cap"] = "NaN"  # type: ignore[index]  # nested JSON
    with pytest.raises(ProtocolParseError) as exc:
        protocol_from_dict(data)
    assert exc.value.field == "dose.cap"


def test_parsing_fills_optional_fields_left_out_with_their_defaults() -> None:
    data = _trd_dict()
    del data["notes"]
    assert protocol_from_dict(data).notes == ""


def test_a_parsed_protocol_is_still_validated_separately() -> None:
    data = _trd_dict()
    data["min_observation_minutes"] = 60
    p = protocol_from_dict(data)
    assert p.drug is Drug.ESKETAMINE
    assert _fields(p) == ["min_observation_minutes"]
