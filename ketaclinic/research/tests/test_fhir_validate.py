"""The export's "shapes" validation gives the same verdict as the full fhir.resources model: for
any value at any slot path, and for any change elsewhere (a new shape, validated in full)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ketaclinic.research.fhir import (
    FhirValidationError,
    adverse_event,
    condition,
    encounter,
    medication_administration,
    observations,
    patient,
    questionnaire_response,
    validation,
    vital_observation,
)
from ketaclinic.research.fhir.validate import SLOTS, Validator, slot_adapter
from ketaclinic.scales import score

WHEN = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.UTC)
PHQ = [1, 2, 0, 3, 1, 0, 2, 1, 1]
REF = {"patient_key": "KC-ABCDEFGHJK", "encounter_key": "0123456789abcdef"}


def _bases() -> list[dict[str, Any]]:
    identified = {
        "mrn": "M-1", "given_name": "Ann", "family_name": "Lee", "email": "a@example.org",
        "phone": "+16175550100", "address_line": "1 Main St", "city": "Boston",
        "postal_code": "02115",
    }  # fmt: skip
    return [
        patient("KC-ABCDEFGHJK", gender="female", birth_date="1950", state="MA"),
        patient("p-1", gender="male", birth_date="1950-02-03", identified=identified),
        encounter("e1", patient_key="KC-X", phase="done", start="2026", end="2026"),
        vital_observation(
            "o1",
            **REF,
            code="heart_rate",
            loinc="8867-4",
            unit="/min",
            value=72,
            systolic=None,
            diastolic=None,
            effective="2026",
        ),
        vital_observation(
            "o2",
            **REF,
            code="blood_pressure",
            loinc="85354-9",
            unit="mm[Hg]",
            value=None,
            systolic=120,
            diastolic=80,
            effective="2026",
        ),
        questionnaire_response(
            "phq9", PHQ, subject="Patient/KC-X", authored=WHEN, resource_id="q1", written_as="2026"
        ),
        *observations(
            "phq9",
            PHQ,
            score("phq9", PHQ),
            subject="Patient/KC-X",
            authored=WHEN,
            questionnaire_response_ref="QuestionnaireResponse/q1",
        ),
        medication_administration(
            "m1",
            **REF,
            drug="esketamine",
            route="esketamine_nasal",
            dose_mg=56,
            effective="2026",
        ),
        adverse_event(
            "a1",
            **REF,
            event_type="nausea_vomiting",
            severity="mild",
            serious=False,
            outcome="resolved",
            date="2026",
        ),
        condition("c1", patient_key="KC-X", icd10="F33.2", text=None, resolved=False, onset="2025"),
    ]


def _leaves(node: Any, path: str = "") -> list[tuple[str, list[Any]]]:
    """(path, location) of every leaf: location is the keys and list positions to reach it."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            for sub, at in _leaves(value, f"{path}.{key}" if path else key):
                found.append((sub, [key, *at]))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            for sub, at in _leaves(item, path):
                found.append((sub, [index, *at]))
    else:
        found.append((path, []))
    return found


def _replaced(resource: dict[str, Any], at: list[Any], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    node: Any = changed
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = value
    return changed


def _full_verdict(resource: dict[str, Any]) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError:
        return False
    return True


def _shapes_verdict(base: dict[str, Any], resource: dict[str, Any]) -> bool:
    checker = Validator("shapes")
    checker(base)  # the valid shape has been seen: only the values decide
    try:
        checker(resource)
    except FhirValidationError:
        return False
    return True


VALUES = st.one_of(
    st.text(max_size=70),
    st.sampled_from(
        ["", " ", "a b", "a  b", " x", "2026", "2026-02-30", "2026-13", "2026-03-04T10:30:00Z",
         "2026-03-04T10:30", "Patient/KC-1", "x" * 65, "-1", "1.5", "0"]
    ),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(data=st.data(), value=VALUES)
def test_shapes_validation_agrees_with_the_full_model_for_any_value_anywhere(
    data: st.DataObject, value: Any
) -> None:
    base = data.draw(st.sampled_from(_bases()))
    path, at = data.draw(st.sampled_from([p for p in _leaves(base) if p[0] != "resourceType"]))
    changed = _replaced(base, at, value)
    assert _shapes_verdict(base, changed) == _full_verdict(changed), (path, value)


def test_every_slot_is_a_primitive_element_of_the_model() -> None:
    for kind, paths in SLOTS.items():
        for path in paths:
            slot_adapter(kind, path)  # raises if the path is not a primitive of the model
    with pytest.raises(TypeError, match="not a FHIR primitive"):
        slot_adapter("Encounter", "subject")


def test_each_shape_goes_to_the_full_model_once_unless_all_are_asked_for() -> None:
    with validation("shapes") as checker:
        bases = _bases() + _bases()
    assert checker.resources == len(bases)
    assert checker.full == checker.shapes == len(bases) // 2
    with validation("all") as checker:
        _bases()
    assert checker.full == checker.resources
    with pytest.raises(ValueError, match="shapes, all"):
        validation("some").__enter__()


def test_a_bad_value_is_refused_after_its_shape_was_seen() -> None:
    with validation("shapes"), pytest.raises(FhirValidationError, match="Encounter: id"):
        encounter("e1", patient_key="KC-X", phase="done", start="2026", end=None)
        encounter("e 2", patient_key="KC-X", phase="done", start="2026", end=None)
    with validation("shapes"), pytest.raises(FhirValidationError, match=r"period\.start"):
        encounter("e1", patient_key="KC-X", phase="done", start="2026", end=None)
        encounter("e2", patient_key="KC-X", phase="done", start="2026-02-30", end=None)
