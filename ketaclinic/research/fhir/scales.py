"""FHIR R4 representation of a scale response, as plain JSON-ready dicts (pure, no Django).

Moved from ``scales/fhir.py`` (issue 13); every resource is validated against the fhir.resources
R4B model of its type before it is returned.

One response becomes a ``QuestionnaireResponse`` plus ``Observation`` resources (scales.md,
"Scale definition contract"): the total (or C-SSRS risk level), each computable subscore,
and each item that raised an item flag (e.g. PHQ-9 item 9). Codes are LOINC where scales.md
confirms one, else the local code system ``LOCAL_SYSTEM`` with codes ``<scale>.total``,
``<scale>.<subscore>``, ``<scale>.item.<id>`` and ``<scale>.band.<band>``.

A score that could not be computed (``total`` None) gets no Observation; the
QuestionnaireResponse still carries every answer given. Licensed item text is never
written: ``item.text`` is only set for free scales.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ketaclinic.research.fhir.validate import validated
from ketaclinic.scales.scoring import ScaleDefinition, ScaleInputError, ScaleResult
from ketaclinic.scales.scoring.base import LOCAL_SYSTEM, Number, item_flag_checks
from ketaclinic.scales.scoring.registry import get_definition, score

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
QUESTIONNAIRE_BASE = "https://ketaclinic.org/fhir/Questionnaire/"
_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$|^urn:uuid:[0-9a-fA-F\-]{36}$")
_STATUSES = frozenset({"completed", "amended", "entered-in-error", "in-progress", "stopped"})

JSON = dict[str, Any]


def _instant(authored: datetime) -> str:
    if not isinstance(authored, datetime):
        raise ScaleInputError(f"authored must be a datetime, not {type(authored).__name__}")
    if authored.tzinfo is None or authored.utcoffset() is None:
        raise ScaleInputError("authored must be a timezone-aware datetime (UTC in storage)")
    return authored.isoformat()


def _reference(value: str, name: str) -> JSON:
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value):
        raise ScaleInputError(
            f"{name} must be a FHIR reference such as 'Patient/123' or 'urn:uuid:...', "
            f"not {value!r}"
        )
    return {"reference": value}


def _coding(system: str, code: str, display: str | None = None) -> JSON:
    coding: JSON = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def questionnaire_url(definition: ScaleDefinition) -> str:
    """Canonical of the scale's Questionnaire, versioned: ``.../phq9|1``."""
    return f"{QUESTIONNAIRE_BASE}{definition.code}|{definition.version}"


def _answer(definition: ScaleDefinition, position: int, value: int) -> JSON:
    if definition.items[position].answer_type == "boolean":
        return {"valueBoolean": bool(value)}
    return {"valueInteger": value}


def questionnaire_response(
    code: str,
    answers: Sequence[int | None],
    *,
    subject: str,
    authored: datetime,
    resource_id: str | None = None,
    status: str = "completed",
    written_as: str | None = None,
) -> JSON:
    """A FHIR R4 QuestionnaireResponse for ``answers`` (validated by scoring them).

    ``written_as`` replaces the instant written for ``authored`` (the de-identified export writes
    the year only); the resource is validated as written."""
    definition = get_definition(code)
    score(code, answers)  # raises ScaleInputError on bad answers
    if status not in _STATUSES:
        raise ScaleInputError(f"status must be one of {', '.join(sorted(_STATUSES))}")
    items: list[JSON] = []
    for position, (item, value) in enumerate(zip(definition.items, answers, strict=True)):
        entry: JSON = {"linkId": item.id}
        if definition.licence == "free" and item.text:
            entry["text"] = item.text
        if value is not None:
            entry["answer"] = [_answer(definition, position, value)]
        items.append(entry)
    resource: JSON = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_url(definition),
        "status": status,
        "subject": _reference(subject, "subject"),
        "authored": _instant(authored) if written_as is None else written_as,
        "item": items,
    }
    if resource_id is not None:
        resource["id"] = resource_id
    return validated(resource)


def _value(value: Number) -> JSON:
    return {
        "valueQuantity": {
            "value": value,
            "unit": "{score}",
            "system": UCUM_SYSTEM,
            "code": "{score}",
        }
    }


def _observation(
    code: JSON,
    value: JSON,
    *,
    subject: JSON,
    effective: str,
    derived_from: str | None,
) -> JSON:
    observation: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [_coding(CATEGORY_SYSTEM, "survey", "Survey")]}],
        "code": code,
        "subject": subject,
        "effectiveDateTime": effective,
        **value,
    }
    if derived_from is not None:
        observation["derivedFrom"] = [_reference(derived_from, "questionnaire_response")]
    return observation


def observations(
    code: str,
    answers: Sequence[int | None],
    result: ScaleResult,
    *,
    subject: str,
    authored: datetime,
    questionnaire_response_ref: str | None = None,
    written_as: str | None = None,
) -> list[JSON]:
    """Coded Observations for a scored response: total, subscores, flagged items (``written_as``
    as in ``questionnaire_response``)."""
    definition = get_definition(code)
    if score(code, answers) != result:
        raise ScaleInputError(f"{code} result does not match the answers it is exported with")
    subject_ref = _reference(subject, "subject")
    effective = _instant(authored) if written_as is None else written_as
    common: dict[str, Any] = {
        "subject": subject_ref,
        "effective": effective,
        "derived_from": questionnaire_response_ref,
    }
    found: list[JSON] = []
    if result.total is not None:
        total_code = (
            [_coding(LOINC_SYSTEM, definition.loinc_total)] if definition.loinc_total else []
        )
        total_code.append(_coding(LOCAL_SYSTEM, f"{code}.total"))
        if definition.total_kind == "level":
            band = result.band or ""
            value: JSON = {
                "valueCodeableConcept": {
                    "coding": [_coding(LOCAL_SYSTEM, f"{code}.band.{band}", band)],
                    "text": band,
                }
            }
        else:
            value = _value(result.total)
        observation = _observation(
            {"coding": total_code, "text": f"{definition.name} total"}, value, **common
        )
        if result.band is not None and definition.total_kind == "score":
            observation["interpretation"] = [
                {
                    "coding": [_coding(LOCAL_SYSTEM, f"{code}.band.{result.band}")],
                    "text": result.band,
                }
            ]
        found.append(observation)
    for name, subscore in result.subscores.items():
        if subscore is None:
            continue
        found.append(
            _observation(
                {
                    "coding": [_coding(LOCAL_SYSTEM, f"{code}.{name}")],
                    "text": f"{definition.name} {name}",
                },
                _value(subscore),
                **common,
            )
        )
    for position, value_int in _raised(definition, answers):
        item = definition.items[position]
        item_code = [_coding(LOINC_SYSTEM, item.loinc)] if item.loinc else []
        item_code.append(_coding(LOCAL_SYSTEM, f"{code}.item.{item.id}"))
        answer = _answer(definition, position, value_int)
        found.append(
            _observation(
                {"coding": item_code, "text": f"{definition.name} item {item.id}"},
                answer,
                **common,
            )
        )
    return [validated(observation) for observation in found]


def _raised(definition: ScaleDefinition, answers: Sequence[int | None]) -> list[tuple[int, int]]:
    """(position, answer) of each item that raised an item flag rule, once, in item order."""
    raised: dict[int, int] = {}
    for position, at_least, at_most, _flag in item_flag_checks(definition):
        value = answers[position]
        if value is not None and at_least <= value <= at_most:
            raised[position] = value
    return sorted(raised.items())
