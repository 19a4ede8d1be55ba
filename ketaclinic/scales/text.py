"""A clinic's licensed item text for a licensed scale: file format and validation (pure).

Licensed scales (MADRS, Y-BOCS, C-SSRS, BPI-SF, and those whose terms are unverified) ship
structure and scoring only (scales.md, "Licence pattern"). A clinic that holds a licence
loads the wording as local data, in this JSON format::

    {
      "scale": "madrs",            # a licensed scale code
      "version": "1",              # the scale definition version it was written for
      "language": "en-GB",         # BCP 47 language tag
      "title": "...",              # optional
      "instructions": "...",       # optional
      "copyright": "...",          # optional notice shown with the form
      "licence_reference": "...",  # optional: licence or agreement number
      "anchors": {"0": "...", "6": "..."},          # optional, for every item
      "items": [
        {"id": "1", "text": "...", "anchors": {"0": "...", "2": "..."}},
        ...                        # every item id of the scale, each once
      ]
    }

``parse_item_text(data)`` takes the parsed JSON (a mapping) or the raw text/bytes and
returns a :class:`LicensedText`, or raises :class:`ItemTextError` (a ScaleInputError) with
a message that says what is wrong and where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ketaclinic.scales.scoring import ScaleDefinition, ScaleInputError
from ketaclinic.scales.scoring.registry import SCALES

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_REQUIRED = ("scale", "version", "language", "items")
_OPTIONAL = ("title", "instructions", "copyright", "licence_reference", "anchors")
_MAX_TEXT = 5000


class ItemTextError(ScaleInputError):
    """A licensed item text file that cannot be used."""


@dataclass(frozen=True, slots=True)
class LicensedItem:
    id: str
    text: str
    anchors: Mapping[int, str]


@dataclass(frozen=True, slots=True)
class LicensedText:
    scale: str
    version: str
    language: str
    items: tuple[LicensedItem, ...]
    anchors: Mapping[int, str]
    title: str | None = None
    instructions: str | None = None
    copyright: str | None = None
    licence_reference: str | None = None

    def item(self, item_id: str) -> LicensedItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _optional_text(value: object, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ItemTextError(f"{where} must be a non-empty string")
    if len(value) > _MAX_TEXT:
        raise ItemTextError(f"{where} is longer than {_MAX_TEXT} characters")
    return value.strip()


def _anchors(value: object, where: str, low: int, high: int) -> Mapping[int, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ItemTextError(f"{where} must be an object mapping answer values to labels")
    anchors: dict[int, str] = {}
    for key, label in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"-?[0-9]+", key):
            raise ItemTextError(f"{where}: key {key!r} is not an integer answer value")
        number = int(key)
        if not low <= number <= high:
            raise ItemTextError(
                f"{where}: answer value {number} is outside the allowed range {low}-{high}"
            )
        anchors[number] = _text(label, f"{where} label for {number}")
    return MappingProxyType(dict(sorted(anchors.items())))


def _load(data: object) -> Mapping[str, Any]:
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ItemTextError(f"item text file is not UTF-8: {error}") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise ItemTextError(f"item text file is not valid JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise ItemTextError("item text must be a JSON object with scale, version, language, items")
    return data


def _definition(code: object) -> ScaleDefinition:
    if not isinstance(code, str) or code not in SCALES:
        raise ItemTextError(f"unknown scale code {code!r}; known codes: {', '.join(SCALES)}")
    definition = SCALES[code].definition
    if definition.licence == "free":
        licensed = ", ".join(c for c, s in SCALES.items() if s.definition.licence == "licensed")
        raise ItemTextError(
            f"{code} is a free scale and already ships its item text; only licensed scales "
            f"take a clinic's text ({licensed})"
        )
    return definition


def _items(definition: ScaleDefinition, raw_items: object) -> tuple[LicensedItem, ...]:
    code = definition.code
    if not isinstance(raw_items, list):
        raise ItemTextError(f"{code} items must be a list of {{id, text, anchors}} objects")
    expected = definition.item_ids
    by_id: dict[str, LicensedItem] = {}
    for index, raw in enumerate(raw_items, start=1):
        if not isinstance(raw, Mapping):
            raise ItemTextError(f"{code} items[{index}] must be an object with id and text")
        extra = sorted(set(raw) - {"id", "text", "anchors"})
        if extra:
            raise ItemTextError(f"{code} items[{index}]: unknown field(s) {', '.join(extra)}")
        item_id = raw.get("id")
        if not isinstance(item_id, str) or item_id not in expected:
            raise ItemTextError(
                f"{code} items[{index}]: unknown item id {item_id!r}; the item ids are "
                f"{', '.join(expected)}"
            )
        if item_id in by_id:
            raise ItemTextError(f"{code} item {item_id} appears more than once")
        spec = definition.item(item_id)
        text = _text(raw.get("text"), f"{code} item {item_id} text")
        anchors = _anchors(raw.get("anchors"), f"{code} item {item_id} anchors", spec.min, spec.max)
        by_id[item_id] = LicensedItem(item_id, text, anchors)
    absent = [item_id for item_id in expected if item_id not in by_id]
    if absent:
        raise ItemTextError(f"{code} item text lacks item(s) {', '.join(absent)}")
    return tuple(by_id[item_id] for item_id in expected)


def parse_item_text(data: object) -> LicensedText:
    """Validate a licensed item text file (parsed mapping, JSON text or bytes)."""
    doc = _load(data)
    unknown = sorted(set(doc) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ItemTextError(f"unknown field(s) {', '.join(map(repr, unknown))} in item text")
    missing = [name for name in _REQUIRED if name not in doc]
    if missing:
        raise ItemTextError(f"item text is missing the field(s) {', '.join(missing)}")
    definition = _definition(doc["scale"])
    code = definition.code
    if doc["version"] != definition.version:
        raise ItemTextError(
            f"{code} item text is for version {doc['version']!r}, but this scale definition is "
            f"version {definition.version!r}"
        )
    language = doc["language"]
    if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
        raise ItemTextError(f"{code} language {language!r} is not a language tag such as 'en-GB'")
    # Shared anchors must fit every item (the licensed scales each use one answer range).
    low = max(item.min for item in definition.items)
    high = min(item.max for item in definition.items)
    shared = _anchors(doc.get("anchors"), f"{code} anchors", low, high)

    items = _items(definition, doc["items"])
    return LicensedText(
        scale=code,
        version=definition.version,
        language=language,
        items=items,
        anchors=shared,
        title=_optional_text(doc.get("title"), f"{code} title"),
        instructions=_optional_text(doc.get("instructions"), f"{code} instructions"),
        copyright=_optional_text(doc.get("copyright"), f"{code} copyright"),
        licence_reference=_optional_text(doc.get("licence_reference"), f"{code} licence_reference"),
    )
