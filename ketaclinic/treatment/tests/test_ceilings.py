"""The drug-and-route ceilings: no protocol, dose or override passes one (pure, with Hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ketaclinic.treatment.domain import ceilings
from ketaclinic.treatment.domain.dose_plan import plan_dose
from ketaclinic.treatment.domain.dosing import (
    DoseError,
    DoseRefusedError,
    RangeCheck,
    Verdict,
    accept_dose,
    check_dose_range,
)
from ketaclinic.treatment.domain.library import (
    ESKETAMINE_TRD,
    IM_RACEMIC_DEPRESSION,
    IV_RACEMIC_CRPS,
    IV_RACEMIC_DEPRESSION,
    SHIPPED_PROTOCOLS,
)
from ketaclinic.treatment.domain.protocol import (
    DOSING_WEIGHT_MAX_KG,
    DOSING_WEIGHT_MIN_KG,
    ROUTES_BY_DRUG,
    DoseBasis,
    Drug,
    Protocol,
    Route,
)
from ketaclinic.treatment.domain.validation import validate_protocol

D = Decimal

WEIGHTS = st.decimals(min_value=DOSING_WEIGHT_MIN_KG, max_value=DOSING_WEIGHT_MAX_KG, places=1)
AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D("200"), places=2)


def _fields(p: Protocol) -> list[str]:
    return [e.field for e in validate_protocol(p)]


# ---------------------------------------------------------------------------------------------
# The table


def test_every_drug_and_route_has_a_ceiling_with_its_source() -> None:
    for drug, routes in ROUTES_BY_DRUG.items():
        for route in routes:
            rows = [c for c in ceilings.CEILINGS if c.drug is drug and c.route is route]
            assert rows, f"no ceiling for {drug} by {route}"
            for c in rows:
                assert c.limit > 0 and c.source and c.what


def test_the_ceilings_are_the_reviewed_numbers() -> None:
    by_code = {c.code: c for c in ceilings.CEILINGS}
    assert by_code["esketamine_session"].limit == D("84")
    assert by_code["iv_infusion_session"].limit == D("1.0")
    assert by_code["iv_infusion_crps_rate"].limit == D("25")
    # The Ketalar induction range starts at 1 mg/kg IV: a bolus (and IM) stays below it.
    assert by_code["iv_bolus_induction"].below and by_code["iv_bolus_induction"].limit == D("1")
    assert by_code["im_induction"].below
    assert ceilings.IV_FINAL_CONCENTRATION.limit_mg_per_ml < D("100")


def test_every_shipped_protocol_stays_under_its_ceilings() -> None:
    for p in SHIPPED_PROTOCOLS.values():
        assert ceilings.protocol_problems(p) == [], p.code
        assert ceilings.ceilings_for(p), p.code


def test_the_first_release_56_mg_per_kg_iv_protocol_is_refused_naming_the_field_and_limit() -> None:
    # A copied IV template still holding the esketamine numbers (56/56/84/84) as mg/kg.
    dose = replace(
        IV_RACEMIC_DEPRESSION.dose, usual=D("56"), minimum=D("56"), maximum=D("84"), cap=D("84")
    )
    p = replace(IV_RACEMIC_DEPRESSION, dose=dose)
    errors = validate_protocol(p)
    cap = [str(e) for e in errors if e.field == "dose.cap"]
    assert cap and "at most 1.0 mg/kg per session" in cap[0]
    assert "Allowed: at most 1 mg/kg" in cap[0]
    assert {"dose.usual", "dose.maximum", "dose.cap"} <= {e.field for e in errors}


def test_an_esketamine_protocol_above_84_mg_is_refused() -> None:
    dose = replace(ESKETAMINE_TRD.dose, maximum=D("112"), cap=D("112"))
    assert "dose.cap" in _fields(replace(ESKETAMINE_TRD, dose=dose))


def test_a_crps_protocol_without_its_rate_cap_is_refused_and_told_to_set_it() -> None:
    p = replace(IV_RACEMIC_CRPS, dose=replace(IV_RACEMIC_CRPS.dose, cap_rate_mg_per_h=None))
    messages = [str(e) for e in validate_protocol(p)]
    assert any("at most 25 mg/h" in m and "dose.cap_rate_mg_per_h" in m for m in messages)
    above = replace(IV_RACEMIC_CRPS.dose, cap_rate_mg_per_h=D("30"))
    assert "dose.cap" in _fields(replace(IV_RACEMIC_CRPS, dose=above))


def test_a_one_mg_per_kg_infusion_shorter_than_40_minutes_reaches_towards_induction() -> None:
    p = replace(IV_RACEMIC_DEPRESSION, infusion_minutes=20, min_observation_minutes=80)
    messages = [str(e) for e in validate_protocol(p) if e.field == "dose.cap"]
    assert messages and "1.5 mg/kg/h" in messages[0]


def test_an_iv_bolus_never_reaches_one_mg_per_kg() -> None:
    bolus = replace(IV_RACEMIC_DEPRESSION, route=Route.IV_BOLUS, infusion_minutes=None)
    assert "dose.cap" in _fields(bolus)  # cap 1.0 reaches the induction range
    under = replace(bolus, dose=replace(bolus.dose, maximum=D("0.75"), cap=D("0.9")))
    assert _fields(under) == []


def test_the_im_protocol_overrides_above_half_a_mg_per_kg_and_stays_below_one() -> None:
    rule = IM_RACEMIC_DEPRESSION.dose
    assert rule.maximum == D("0.5") and rule.cap < D("1")
    at_one = replace(IM_RACEMIC_DEPRESSION, dose=replace(rule, cap=D("1.0")))
    assert "dose.cap" in _fields(at_one)


def test_a_drug_and_route_without_a_ceiling_is_refused() -> None:
    saved = ceilings.CEILINGS
    try:
        ceilings.CEILINGS = tuple(c for c in saved if c.route is not Route.ORAL)
        oral = SHIPPED_PROTOCOLS["oral_racemic_depression"]
        assert "route" in _fields(oral)
    finally:
        ceilings.CEILINGS = saved


@pytest.mark.parametrize(
    ("final", "refused"),
    [(D("100"), True), (D("50.01"), True), (D("50"), False), (D("1"), False)],
)
def test_an_iv_final_concentration_above_50_mg_per_ml_is_refused(final: Decimal, refused: bool):
    assert (ceilings.iv_final_concentration_problem(final) is not None) is refused


# ---------------------------------------------------------------------------------------------
# Properties


def _racemic(p: Protocol) -> bool:
    return p.drug is Drug.RACEMIC_KETAMINE


@st.composite
def edited_protocols(draw: st.DrawFn) -> Protocol:
    """A shipped protocol with its dose numbers, caps and infusion time redrawn at random."""
    # Device- and spray-timed protocols give fixed doses (tested on their own); an ascending
    # phase's steps are cleared below, as the dose numbers they must fit are redrawn.
    base = draw(st.sampled_from([p for p in SHIPPED_PROTOCOLS.values() if p.devices is None]))
    numbers = sorted(draw(st.lists(AMOUNTS, min_size=3, max_size=3)))
    minimum, usual, maximum = numbers
    cap = draw(st.one_of(st.just(maximum), AMOUNTS.filter(lambda a: a >= maximum)))
    dose = replace(
        base.dose,
        usual=usual,
        minimum=minimum,
        maximum=maximum,
        cap=cap,
        fixed_doses_mg=(),
        first_dose_mg=None,
        escalations=(),
        cap_total_mg=draw(st.one_of(st.none(), AMOUNTS)),
        cap_rate_mg_per_h=draw(st.one_of(st.none(), AMOUNTS))
        if base.dose.basis in (DoseBasis.MG_PER_KG_PER_HOUR, DoseBasis.MG_PER_HOUR)
        else None,
    )
    minutes = base.infusion_minutes
    if minutes is not None:
        minutes = draw(st.integers(min_value=1, max_value=600))
    schedule = tuple(
        replace(ph, dose_options_mg=(), dose_steps=(), dose_from_steps_of="")
        for ph in base.schedule
    )
    observation = max(base.min_observation_minutes, minutes or 0)
    return replace(
        base,
        dose=dose,
        schedule=schedule,
        infusion_minutes=minutes,
        min_observation_minutes=observation,
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(p=edited_protocols(), weight=WEIGHTS, fraction=st.decimals(min_value=0, max_value=1))
def test_no_protocol_that_passes_validation_lets_any_patient_pass_a_ceiling(
    p: Protocol, weight: Decimal, fraction: Decimal
) -> None:
    """Every dose a valid protocol allows (up to its cap, for any weight) is under the ceilings:
    the ceilings at the chair never have to catch what the protocol itself lets through."""
    assume(validate_protocol(p) == [])
    amount = p.dose.minimum + (p.dose.cap - p.dose.minimum) * fraction
    assume(amount > 0)
    plan = plan_dose(p, weight_kg=weight, amount=amount)
    problems = ceilings.dose_problems(p, dose_mg=plan.dose_mg, weight_kg=weight)
    if problems:  # only a dose the protocol refuses itself (above its total cap) may pass one
        own = check_dose_range(
            p.dose, dose_mg=plan.dose_mg, weight_kg=weight, infusion_minutes=p.infusion_minutes
        )
        assert own.verdict is Verdict.REFUSED, problems


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(sorted(SHIPPED_PROTOCOLS)),
    weight=WEIGHTS,
    amount=AMOUNTS,
)
def test_no_dose_the_plan_does_not_refuse_passes_a_ceiling(
    code: str, weight: Decimal, amount: Decimal
) -> None:
    p = SHIPPED_PROTOCOLS[code]
    try:
        plan = plan_dose(p, weight_kg=weight, amount=amount)
    except DoseError:
        return  # nothing computed, nothing given
    problems = ceilings.dose_problems(p, dose_mg=plan.dose_mg, weight_kg=weight)
    if problems:
        assert plan.verdict is Verdict.REFUSED
    if plan.verdict is not Verdict.REFUSED:
        assert problems == []


@given(reason=st.text(min_size=1, max_size=80).filter(str.strip))
def test_no_override_reason_makes_a_refused_dose_possible(reason: str) -> None:
    refused = RangeCheck(Verdict.REFUSED, "above the ceiling")
    with pytest.raises(DoseRefusedError):
        accept_dose(refused, override_reason=reason)


@settings(max_examples=200, deadline=None)
@given(weight=WEIGHTS, amount=st.decimals(min_value=D("0.01"), max_value=D("1"), places=3))
def test_the_crps_rate_never_passes_25_mg_per_hour_whatever_the_weight(
    weight: Decimal, amount: Decimal
) -> None:
    plan = plan_dose(IV_RACEMIC_CRPS, weight_kg=weight, amount=amount)
    assert plan.rate_mg_per_h is not None and plan.rate_mg_per_h <= D("25")
    if amount * weight > D("25"):
        assert plan.rate_capped and plan.cap_rate_mg_per_h == D("25")
