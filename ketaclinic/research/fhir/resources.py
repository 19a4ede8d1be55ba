"""FHIR R4 resources for a clinic's records (pure, no Django): Patient, Encounter, vital-sign
Observation, MedicationAdministration, AdverseEvent and Condition, each validated against the
fhir.resources R4B model of its type.

Dates come in as FHIR date/dateTime strings already: the de-identified export passes only years
("2026"), the identified export full instants. Codes and their sources:
- LOINC for vital signs: blood-pressure panel 85354-9 with systolic 8480-6 and diastolic 8462-4,
  heart rate 8867-4, SpO2 59408-5, respiratory rate 9279-1, pain NRS 72514-3
  (treatment.models.OBSERVATION_CODING); UCUM units (mm[Hg], /min, %, {score}).
- RxNorm ingredient codes for ketamine and esketamine: **unverified** here (no RxNorm source in
  shared/domain); they are configuration (``RXNORM``), to be checked against the current RxNorm
  release before a receiving system relies on them.
- AdverseEvent severity and outcome: the HL7 terminology code systems adverse-event-severity and
  adverse-event-outcome (R4).
"""

from __future__ import annotations

from typing import Any

from ketaclinic.research.fhir.validate import JSON, validated

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOCAL = "https://ketaclinic.org/fhir/CodeSystem/"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
AE_SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
MRN_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

#: RxNorm ingredient RXCUIs (unverified; see the module docstring).
RXNORM: dict[str, tuple[str, str]] = {
    "racemic_ketamine": ("6130", "ketamine"),
    "esketamine": ("2107302", "esketamine"),
}
_AE_OUTCOMES = {
    "resolved": "resolved",
    "resolving": "recovering",
    "not_resolved": "ongoing",
    "resolved_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
}
_ENCOUNTER_STATUS = {
    "scheduled": "planned",
    "missed": "cancelled",
    "cancelled": "cancelled",
    "done": "finished",
}


def _coding(system: str, code: str, display: str | None = None) -> JSON:
    found: JSON = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def _ref(kind: str, key: str) -> JSON:
    return {"reference": f"{kind}/{key}"}


def patient(
    key: str,
    *,
    gender: str,
    birth_date: str | None,
    state: str = "",
    identified: dict[str, str] | None = None,
) -> JSON:
    """A Patient. De-identified: id, gender, birth year (left out above 89) and state only.
    ``identified`` (mrn, given_name, family_name, email, phone, address_line, city, postal_code)
    adds the identifiers, for moving a patient to another clinic's system."""
    resource: JSON = {"resourceType": "Patient", "id": key, "gender": gender}
    if gender == "intersex":
        resource["gender"] = "other"
    if birth_date:
        resource["birthDate"] = birth_date
    address: JSON = {"state": state} if state else {}
    if identified:
        resource["identifier"] = [
            {
                "type": {"coding": [_coding(MRN_TYPE, "MR", "Medical record number")]},
                "value": identified["mrn"],
            }
        ]
        resource["name"] = [
            {"family": identified["family_name"], "given": [identified["given_name"]]}
        ]
        telecom = [
            {"system": system, "value": identified[field]}
            for system, field in (("phone", "phone"), ("email", "email"))
            if identified.get(field)
        ]
        if telecom:
            resource["telecom"] = telecom
        if identified.get("address_line"):
            address["line"] = [identified["address_line"]]
        for field, name in (("city", "city"), ("postal_code", "postalCode")):
            if identified.get(field):
                address[name] = identified[field]
    if address:
        resource["address"] = [address]
    return validated(resource)


def encounter(
    key: str, *, patient_key: str, phase: str, start: str | None, end: str | None
) -> JSON:
    """A treatment session as an ambulatory Encounter."""
    resource: JSON = {
        "resourceType": "Encounter",
        "id": key,
        "status": _ENCOUNTER_STATUS.get(phase, "in-progress"),
        "class": _coding(ACT_CODE, "AMB", "ambulatory"),
        "subject": _ref("Patient", patient_key),
    }
    period = {name: value for name, value in (("start", start), ("end", end)) if value}
    if period:
        resource["period"] = period
    return validated(resource)


def vital_observation(
    key: str,
    *,
    patient_key: str,
    encounter_key: str,
    code: str,
    loinc: str,
    unit: str,
    value: int | None,
    systolic: int | None,
    diastolic: int | None,
    effective: str,
) -> JSON:
    """One vital sign or in-session rating; blood pressure as a panel with two components."""
    coding = [_coding(LOINC, loinc)] if loinc else []
    coding.append(_coding(LOCAL + "observation", code))
    resource: JSON = {
        "resourceType": "Observation",
        "id": key,
        "status": "final",
        "category": [{"coding": [_coding(OBS_CATEGORY, "vital-signs" if loinc else "survey")]}],
        "code": {"coding": coding, "text": code.replace("_", " ")},
        "subject": _ref("Patient", patient_key),
        "encounter": _ref("Encounter", encounter_key),
        "effectiveDateTime": effective,
    }
    if code == "blood_pressure":
        resource["component"] = [
            {
                "code": {"coding": [_coding(LOINC, part_code)]},
                "valueQuantity": _quantity(part, "mm[Hg]"),
            }
            for part_code, part in (("8480-6", systolic), ("8462-4", diastolic))
            if part is not None
        ]
    elif value is not None:
        resource["valueQuantity"] = _quantity(value, unit or "1")
    return validated(resource)


def _quantity(value: Any, unit: str) -> JSON:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def medication_administration(
    key: str,
    *,
    patient_key: str,
    encounter_key: str,
    drug: str,
    route: str,
    dose_mg: Any,
    effective: str,
) -> JSON:
    rxcui, name = RXNORM[drug]
    resource: JSON = {
        "resourceType": "MedicationAdministration",
        "id": key,
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [_coding(RXNORM_SYSTEM, rxcui, name)],
            "text": name,
        },
        "subject": _ref("Patient", patient_key),
        "context": _ref("Encounter", encounter_key),
        "effectiveDateTime": effective,
        "dosage": {
            "route": {"coding": [_coding(LOCAL + "route", route)], "text": route},
            "dose": _quantity(float(dose_mg), "mg"),
        },
    }
    return validated(resource)


def adverse_event(
    key: str,
    *,
    patient_key: str,
    encounter_key: str,
    event_type: str,
    severity: str,
    serious: bool,
    outcome: str,
    date: str,
) -> JSON:
    resource: JSON = {
        "resourceType": "AdverseEvent",
        "id": key,
        "actuality": "actual",
        "event": {"coding": [_coding(LOCAL + "adverse-event", event_type)], "text": event_type},
        "subject": _ref("Patient", patient_key),
        "encounter": _ref("Encounter", encounter_key),
        "date": date,
        "seriousness": {
            "coding": [_coding(AE_SERIOUSNESS, "serious" if serious else "non-serious")]
        },
        "severity": {"coding": [_coding(AE_SEVERITY, severity)]},
    }
    if outcome in _AE_OUTCOMES:
        resource["outcome"] = {"coding": [_coding(AE_OUTCOME, _AE_OUTCOMES[outcome])]}
    return validated(resource)


def condition(
    key: str,
    *,
    patient_key: str,
    icd10: str,
    text: str | None,
    resolved: bool,
    onset: str | None,
) -> JSON:
    """A diagnosis. ``text`` is None in the de-identified export (free text stays behind)."""
    code: JSON = {"coding": [_coding(ICD10CM, icd10)]}
    if text:
        code["text"] = text
    resource: JSON = {
        "resourceType": "Condition",
        "id": key,
        "clinicalStatus": {
            "coding": [_coding(CONDITION_CLINICAL, "resolved" if resolved else "active")]
        },
        "code": code,
        "subject": _ref("Patient", patient_key),
    }
    if onset:
        resource["onsetDateTime"] = onset
    return validated(resource)
