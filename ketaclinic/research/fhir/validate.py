"""Every FHIR resource we write is checked by constructing the fhir.resources R4B model of its
type (FHIR R4B shares R4's resources for everything exported here; conventions section 7)."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

JSON = dict[str, Any]


class FhirValidationError(ValueError):
    """A resource that the FHIR R4B model refuses: the message names the type and the fields."""


def validated(resource: JSON) -> JSON:
    """``resource`` unchanged, after the fhir.resources model of its type accepted it."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FhirValidationError("a FHIR resource needs a resourceType")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError) as exc:
        raise FhirValidationError(f"unknown FHIR resource type {kind!r}") from exc
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors())
        raise FhirValidationError(f"invalid FHIR {kind}: {fields}") from exc
    return resource
