"""The pure eligibility rules: every rule fires and does not fire at its boundary."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.screening import rules

CLEAN: dict[str, Any] = {
    "age_years": 40,
    "aneurysmal_vascular_disease": False,
    "arteriovenous_malformation": False,
    "intracerebral_haemorrhage_history": False,
    "hypersensitivity_ketamine": False,
    "hypertension": False,
    "systolic_mmhg": 140,
    "diastolic_mmhg": 90,
    "psychosis_history": False,
    "bipolar_disorder": False,
    "substance_use_disorder_active": False,
    "pregnant": False,
    "breastfeeding": False,
    "hepatic_impairment": "none",
    "raised_intracranial_pressure": False,
    "raised_intraocular_pressure": False,
    "seizure_disorder": False,
    "adequate_failed_antidepressant_trials": 2,
}

# rule id -> (facts that make it fire, facts at the boundary where it does not fire)
BOUNDARIES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "aneurysmal_vascular_disease": (
        {"aneurysmal_vascular_disease": True},
        {"aneurysmal_vascular_disease": False},
    ),
    "arteriovenous_malformation": (
        {"arteriovenous_malformation": True},
        {"arteriovenous_malformation": False},
    ),
    "intracerebral_haemorrhage_history": (
        {"intracerebral_haemorrhage_history": True},
        {"intracerebral_haemorrhage_history": False},
    ),
    "hypersensitivity": ({"hypersensitivity_ketamine": True}, {"hypersensitivity_ketamine": False}),
    "uncontrolled_hypertension": ({"systolic_mmhg": 141}, {"systolic_mmhg": 140}),
    "psychosis_history": ({"psychosis_history": True}, {"psychosis_history": False}),
    "substance_use_disorder_active": (
        {"substance_use_disorder_active": True},
        {"substance_use_disorder_active": False},
    ),
    "pregnancy": ({"pregnant": True}, {"pregnant": False}),
    "breastfeeding": ({"breastfeeding": True}, {"breastfeeding": False}),
    "severe_hepatic_impairment": (
        {"hepatic_impairment": "severe"},
        {"hepatic_impairment": "moderate"},
    ),
    "raised_intracranial_pressure": (
        {"raised_intracranial_pressure": True},
        {"raised_intracranial_pressure": False},
    ),
    "raised_intraocular_pressure": (
        {"raised_intraocular_pressure": True},
        {"raised_intraocular_pressure": False},
    ),
    "seizure_disorder": ({"seizure_disorder": True}, {"seizure_disorder": False}),
    "age_under_18": ({"age_years": 17}, {"age_years": 18}),
    "trd_fewer_than_two_trials": (
        {"adequate_failed_antidepressant_trials": 1},
        {"adequate_failed_antidepressant_trials": 2},
    ),
    "controlled_hypertension": (
        {"hypertension": True, "systolic_mmhg": 140, "diastolic_mmhg": 90},
        {"hypertension": True, "systolic_mmhg": 141, "diastolic_mmhg": 90},
    ),
    "bipolar_disorder": ({"bipolar_disorder": True}, {"bipolar_disorder": False}),
    "moderate_hepatic_impairment": (
        {"hepatic_impairment": "moderate"},
        {"hepatic_impairment": "mild"},
    ),
}


def _ids(decision: rules.Decision) -> set[str]:
    return {f.rule_id for f in decision.findings}


def test_every_shipped_rule_has_a_boundary_test_and_a_source() -> None:
    assert set(BOUNDARIES) == {r.rule_id for r in rules.DEFAULT_RULESET.rules}
    assert all(r.source.strip() for r in rules.DEFAULT_RULESET.rules)


def test_a_clean_screening_is_eligible_and_records_the_version() -> None:
    decision = rules.evaluate(CLEAN, protocol_code="esketamine_trd")
    assert decision.outcome == "eligible"
    assert decision.findings == []
    assert decision.ruleset_version == rules.VERSION


@pytest.mark.parametrize("rule_id", sorted(BOUNDARIES))
def test_each_rule_fires_at_its_boundary_and_not_below(rule_id: str) -> None:
    fire, quiet = BOUNDARIES[rule_id]
    fired = rules.evaluate({**CLEAN, **fire}, protocol_code="esketamine_trd")
    assert rule_id in _ids(fired)
    rule = rules.DEFAULT_RULESET.rule(rule_id)
    finding = next(f for f in fired.findings if f.rule_id == rule_id)
    assert finding.hard is (rule.level == rules.Level.HARD)
    assert finding.source == rule.source
    expected = "precautions" if rule.level == rules.Level.PRECAUTION else "not_eligible"
    assert fired.outcome == expected
    assert rule_id not in _ids(rules.evaluate({**CLEAN, **quiet}, protocol_code="esketamine_trd"))


def test_diastolic_alone_makes_blood_pressure_uncontrolled() -> None:
    assert "uncontrolled_hypertension" in _ids(
        rules.evaluate({**CLEAN, "diastolic_mmhg": 91}, protocol_code="esketamine_trd")
    )


def test_controlled_hypertension_is_eligible_with_precautions() -> None:
    decision = rules.evaluate(
        {**CLEAN, "hypertension": True, "systolic_mmhg": 132, "diastolic_mmhg": 84},
        protocol_code="esketamine_trd",
    )
    assert decision.outcome == "precautions"
    assert _ids(decision) == {"controlled_hypertension"}


def test_esketamine_label_contraindications_do_not_apply_to_racemic_ketamine() -> None:
    facts = {**CLEAN, "intracerebral_haemorrhage_history": True}
    assert rules.evaluate(facts, protocol_code="iv_racemic_depression").outcome == "eligible"


def test_the_trd_trial_count_applies_only_to_the_trd_indication() -> None:
    facts = {**CLEAN, "adequate_failed_antidepressant_trials": 0}
    assert rules.evaluate(facts, protocol_code="esketamine_mdsi").outcome == "eligible"
    assert rules.evaluate(facts, protocol_code="esketamine_trd").outcome == "not_eligible"


def test_a_clinic_protocol_passes_its_drug_and_indication() -> None:
    facts = {**CLEAN, "arteriovenous_malformation": True}
    decision = rules.evaluate(facts, protocol_code="our_spravato", drug="esketamine")
    assert "arteriovenous_malformation" in _ids(decision)
    with pytest.raises(ValueError, match="our_spravato"):
        rules.evaluate(facts, protocol_code="our_spravato")


def test_an_unassessed_fact_is_never_read_as_no() -> None:
    facts = {**CLEAN, "pregnant": None}
    decision = rules.evaluate(facts, protocol_code="esketamine_trd")
    assert decision.outcome == "not_eligible"
    assert "not_assessed:pregnant" in _ids(decision)
    assert not decision.overridable
    missing = dict(CLEAN)
    del missing["intracerebral_haemorrhage_history"]
    assert "not_assessed:intracerebral_haemorrhage_history" in _ids(
        rules.evaluate(missing, protocol_code="esketamine_trd")
    )


def test_an_unknown_fact_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="favourite_colour"):
        rules.evaluate({**CLEAN, "favourite_colour": "blue"}, protocol_code="esketamine_trd")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("pregnant", "no"),
        ("pregnant", 0),
        ("age_years", "40"),
        ("age_years", True),
        ("age_years", 40.5),
        ("age_years", 121),
        ("systolic_mmhg", 59),
        ("diastolic_mmhg", 181),
        ("hepatic_impairment", "Severe"),
        ("adequate_failed_antidepressant_trials", -1),
    ],
)
def test_a_wrong_type_or_implausible_value_raises_naming_the_fact(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=name):
        rules.evaluate({**CLEAN, name: value}, protocol_code="esketamine_trd")


def test_hard_rules_are_not_overridable_and_relative_ones_are() -> None:
    hard = rules.evaluate(
        {**CLEAN, "hypersensitivity_ketamine": True}, protocol_code="esketamine_trd"
    )
    assert hard.outcome == "not_eligible" and not hard.overridable
    both = rules.evaluate(
        {**CLEAN, "hypersensitivity_ketamine": True, "pregnant": True},
        protocol_code="esketamine_trd",
    )
    assert not both.overridable
    relative = rules.evaluate({**CLEAN, "pregnant": True}, protocol_code="esketamine_trd")
    assert relative.outcome == "not_eligible" and relative.overridable


def test_a_clinic_may_relax_relative_rules_but_never_hard_ones() -> None:
    relaxed = rules.DEFAULT_RULESET.with_levels(
        {"psychosis_history": "precaution", "seizure_disorder": "off"}
    )
    assert relaxed.version == (f"{rules.VERSION}+psychosis_history=precaution,seizure_disorder=off")
    facts = {**CLEAN, "psychosis_history": True, "seizure_disorder": True}
    decision = rules.evaluate(facts, protocol_code="esketamine_trd", ruleset=relaxed)
    assert decision.outcome == "precautions"
    assert _ids(decision) == {"psychosis_history"}
    assert decision.ruleset_version == relaxed.version
    for bad in ({"hypersensitivity": "off"}, {"pregnancy": "hard"}, {"nope": "off"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            rules.DEFAULT_RULESET.with_levels(bad)
    assert rules.DEFAULT_RULESET.with_levels({"pregnancy": "relative"}) is rules.DEFAULT_RULESET


def test_the_facts_table_describes_every_fact() -> None:
    for fact in rules.FACTS.values():
        assert fact.label and fact.kind in ("bool", "int", "choice")
        if fact.kind == "int":
            assert fact.minimum is not None and fact.maximum is not None and fact.limit_source
        if fact.kind == "choice":
            assert fact.allowed


def _fact_strategy(fact: rules.Fact) -> st.SearchStrategy[Any]:
    if fact.kind == "bool":
        base: st.SearchStrategy[Any] = st.booleans()
    elif fact.kind == "int":
        base = st.integers(fact.minimum, fact.maximum)
    else:
        base = st.sampled_from(fact.allowed)
    return st.one_of(st.none(), base)


FACTS_STRATEGY = st.fixed_dictionaries({n: _fact_strategy(f) for n, f in rules.FACTS.items()})


@given(
    facts=FACTS_STRATEGY,
    code=st.sampled_from(sorted(rules.DEFAULT_RULESET.protocols)),
)
def test_the_outcome_always_follows_the_worst_finding(facts: dict[str, Any], code: str) -> None:
    decision = rules.evaluate(facts, protocol_code=code)
    levels = {f.level for f in decision.findings}
    if levels & {"hard", "relative"}:
        assert decision.outcome == "not_eligible"
    elif levels:
        assert decision.outcome == "precautions"
    else:
        assert decision.outcome == "eligible"
    assert decision.overridable == (decision.outcome == "not_eligible" and "hard" not in levels)
    # Deterministic: the same facts give the same decision.
    assert rules.evaluate(facts, protocol_code=code) == decision


@given(facts=FACTS_STRATEGY)
def test_a_hard_fact_always_makes_esketamine_not_eligible(facts: dict[str, Any]) -> None:
    facts = {**facts, "intracerebral_haemorrhage_history": True}
    decision = rules.evaluate(facts, protocol_code="esketamine_trd")
    assert decision.outcome == "not_eligible" and not decision.overridable


@given(
    facts=FACTS_STRATEGY,
    levels=st.dictionaries(
        st.sampled_from([r.rule_id for r in rules.DEFAULT_RULESET.rules if r.configurable]),
        st.sampled_from(["relative", "precaution", "off"]),
    ),
)
def test_relaxing_rules_never_makes_a_decision_stricter(
    facts: dict[str, Any], levels: dict[str, str]
) -> None:
    order = {"eligible": 0, "precautions": 1, "not_eligible": 2}
    relaxed = rules.DEFAULT_RULESET.with_levels(
        {k: v for k, v in levels.items() if v != "relative"}
    )
    strict = rules.evaluate(facts, protocol_code="esketamine_trd")
    loose = rules.evaluate(facts, protocol_code="esketamine_trd", ruleset=relaxed)
    assert order[loose.outcome] <= order[strict.outcome]
