"""Every FHIR resource we write is checked against the fhir.resources R4B model of its type (FHIR
R4B shares R4's resources for everything exported here; conventions section 7).

Two ways, with the same verdict (``research/tests/test_fhir_validate.py`` checks that they agree):

- ``all``: ``model_validate`` of every resource (about 50-300 microseconds each: the models run
  Python validators on every nested element).
- ``shapes`` (the export's default): a resource's *shape* is the resource with the values at a few
  listed paths (``SLOTS``: ids, references, dates, measured values, answers) taken out and only
  their Python types kept; every other key and value stays in the shape as it is. The full model
  validates each distinct shape once (the first resource that has it), and every resource's slot
  values go through the very validators the model runs on those paths (the pydantic adapters of
  the model's own field types, looked up in the model, not written here). What the model checks
  beyond single values (keys allowed, required elements, one value of a choice, nulls in lists)
  depends only on which keys hold which types of value, which the shape keeps whole.

``validated(resource)`` validates fully unless a ``validation("shapes")`` block is active.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import TypeAdapter, ValidationError

JSON = dict[str, Any]
VALIDATION_MODES = ("shapes", "all")

#: Paths (list positions left out) whose values vary record by record; only their types are part
#: of a resource's shape, and each value is checked with the model's own validator for the path.
SLOTS: dict[str, frozenset[str]] = {
    "Patient": frozenset(
        {
            "id", "birthDate", "address.state", "address.city", "address.postalCode",
            "address.line", "identifier.value", "name.family", "name.given", "telecom.value",
        }
    ),
    "Encounter": frozenset({"id", "subject.reference", "period.start", "period.end"}),
    "Observation": frozenset(
        {
            "id", "subject.reference", "encounter.reference", "effectiveDateTime",
            "valueQuantity.value", "component.valueQuantity.value", "derivedFrom.reference",
            "valueInteger", "valueBoolean",
        }
    ),
    "QuestionnaireResponse": frozenset(
        {"id", "subject.reference", "authored", "item.answer.valueInteger",
         "item.answer.valueBoolean"}
    ),
    "MedicationAdministration": frozenset(
        {"id", "subject.reference", "context.reference", "effectiveDateTime",
         "dosage.dose.value"}
    ),
    "AdverseEvent": frozenset({"id", "subject.reference", "encounter.reference", "date"}),
    "Condition": frozenset(
        {"id", "subject.reference", "onsetDateTime", "code.coding.code", "code.text"}
    ),
}  # fmt: skip


class FhirValidationError(ValueError):
    """A resource that the FHIR R4B model refuses: the message names the type and the fields."""


def _model(kind: Any) -> Any:
    if not isinstance(kind, str):
        raise FhirValidationError("a FHIR resource needs a resourceType")
    try:
        return get_fhir_model_class(kind)
    except (KeyError, ValueError) as exc:
        raise FhirValidationError(f"unknown FHIR resource type {kind!r}") from exc


def _full(resource: JSON) -> None:
    kind = resource.get("resourceType")
    try:
        _model(kind).model_validate(resource)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors())
        raise FhirValidationError(f"invalid FHIR {kind}: {fields}") from exc


def _unwrap(annotation: Any) -> Any:
    """``Optional[List[X]]`` -> ``X`` (the element type of a field)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


@cache
def slot_adapter(kind: str, path: str) -> TypeAdapter[Any]:
    """The validator the ``kind`` model runs on the values at ``path``: its field's own type."""
    model = _model(kind)
    *parents, leaf = path.split(".")
    for name in parents:
        element = _unwrap(model.model_fields[name].annotation)
        model = element.get_model_klass()
    element = _unwrap(model.model_fields[leaf].annotation)  # one value of a repeated element
    if hasattr(element, "get_model_klass") or typing.get_origin(element) not in (
        typing.Annotated,
        None,  # a plain type: FHIR boolean is ``bool``
    ):
        raise TypeError(f"{kind}.{path} is not a FHIR primitive")
    return TypeAdapter(element)


@dataclass
class Validator:
    """One export's validation, with what it did (for the report and the docs' claims)."""

    mode: str
    resources: int = 0
    full: int = 0  # resources given to the full model
    _shapes: set[Any] = field(default_factory=set)
    _values: set[tuple[str, str, type, Any]] = field(default_factory=set)

    @property
    def shapes(self) -> int:
        return len(self._shapes)

    def __call__(self, resource: JSON) -> JSON:
        self.resources += 1
        kind = resource.get("resourceType")
        if self.mode == "all" or not isinstance(kind, str) or kind not in SLOTS:
            self.full += 1
            _full(resource)
            return resource
        values: list[tuple[str, Any]] = []
        shape = _shape(resource, _TREES[kind], values)
        for path, value in values:
            self._value(kind, path, value)
        if shape not in self._shapes:
            self.full += 1
            _full(resource)
            self._shapes.add(shape)
        return resource

    def _value(self, kind: str, path: str, value: Any) -> None:
        key = (kind, path, type(value), value)
        if key in self._values:
            return
        try:
            slot_adapter(kind, path).validate_python(value)
        except ValidationError as exc:
            raise FhirValidationError(f"invalid FHIR {kind}: {path}") from exc
        if len(self._values) > 100_000:  # ids never repeat: keep the memory bounded
            self._values.clear()
        self._values.add(key)


def _tree(paths: frozenset[str]) -> dict[str, Any]:
    """{"subject.reference", "id"} -> {"subject": {"reference": "subject.reference"}, "id": "id"}"""
    tree: dict[str, Any] = {}
    for path in paths:
        *parents, leaf = path.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = path
    return tree


_TREES = {kind: _tree(paths) for kind, paths in SLOTS.items()}


def _shape(node: Any, tree: Any, values: list[tuple[str, Any]]) -> Any:
    """``node`` with the values at the slot paths of ``tree`` replaced by their types (collected
    into ``values``). A string stands for itself; any other value with its type, so that 1, 1.0
    and True stay different shapes."""
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            sub = tree.get(key) if isinstance(tree, dict) else None
            if sub is None and isinstance(value, str):
                found.append((key, value))  # the common leaf, without a call
            else:
                found.append((key, _shape(value, sub, values)))
        return tuple(found)
    if isinstance(node, list):
        return ("[", *[_shape(item, tree, values) for item in node])
    if isinstance(tree, str) and node is not None:
        values.append((tree, node))
        return type(node)
    if isinstance(node, str):
        return node
    return (type(node), node)


_active: ContextVar[Validator | None] = ContextVar("fhir_validator", default=None)


@contextmanager
def validation(mode: str | None = None) -> Iterator[Validator]:
    """Within the block, ``validated`` validates as ``mode`` says ("shapes" or "all"). Without a
    mode, an enclosing block's validator goes on (so a caller can choose for an export), else
    "shapes"."""
    current = _active.get()
    if mode is None and current is not None:
        yield current
        return
    if mode is None:
        mode = "shapes"
    if mode not in VALIDATION_MODES:
        raise ValueError(f"validation must be one of {', '.join(VALIDATION_MODES)}, not {mode!r}")
    validator = Validator(mode)
    token = _active.set(validator)
    try:
        yield validator
    finally:
        _active.reset(token)


def validated(resource: JSON) -> JSON:
    """``resource`` unchanged, after the fhir.resources model of its type accepted it."""
    validator = _active.get()
    if validator is None:
        _full(resource)
        return resource
    return validator(resource)
