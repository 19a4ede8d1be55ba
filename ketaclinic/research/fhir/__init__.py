"""FHIR R4 resources (pure, validated with fhir.resources R4B): scale responses and the clinic's
records. The exporter that reads the database is ``research.export.fhir_writer``."""

from ketaclinic.research.fhir.resources import (
    RXNORM,
    adverse_event,
    condition,
    encounter,
    medication_administration,
    patient,
    vital_observation,
)
from ketaclinic.research.fhir.scales import observations, questionnaire_response
from ketaclinic.research.fhir.validate import (
    VALIDATION_MODES,
    FhirValidationError,
    Validator,
    validated,
    validation,
)

__all__ = [
    "RXNORM",
    "VALIDATION_MODES",
    "FhirValidationError",
    "Validator",
    "adverse_event",
    "condition",
    "encounter",
    "medication_administration",
    "observations",
    "patient",
    "questionnaire_response",
    "validated",
    "validation",
    "vital_observation",
]
