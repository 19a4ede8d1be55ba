"""parse_item_text(): a licensed clinic's item text file."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ketaclinic.scales import ScaleInputError, get_definition
from ketaclinic.scales.text import ItemTextError, parse_item_text


def _madrs(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "scale": "madrs",
        "version": "1",
        "language": "en-GB",
        "copyright": "(c) licence holder",
        "licence_reference": "LIC-42",
        "anchors": {"0": "none", "6": "worst"},
        "items": [{"id": str(n), "text": f"Licensed item {n}"} for n in range(1, 11)],
    }
    doc.update(changes)
    return doc


def test_it_reads_a_complete_licensed_text_file() -> None:
    doc = _madrs()
    doc["items"][0]["anchors"] = {"2": "two", "0": "zero"}
    text = parse_item_text(doc)
    assert (text.scale, text.version, text.language) == ("madrs", "1", "en-GB")
    assert [item.id for item in text.items] == [str(n) for n in range(1, 11)]
    assert text.item("1").text == "Licensed item 1"
    assert list(text.item("1").anchors.items()) == [(0, "zero"), (2, "two")]
    assert dict(text.anchors) == {0: "none", 6: "worst"}
    assert (text.copyright, text.licence_reference, text.title) == (
        "(c) licence holder",
        "LIC-42",
        None,
    )


def test_it_accepts_json_text_and_bytes_and_keeps_item_order_of_the_scale() -> None:
    doc = _madrs()
    doc["items"].reverse()
    from_text = parse_item_text(json.dumps(doc))
    assert parse_item_text(json.dumps(doc).encode()) == from_text
    assert from_text.items[0].id == "1"


def test_an_unknown_item_id_in_the_text_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        parse_item_text(_madrs()).item("11")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_madrs(scale="madrs10"), "unknown scale code 'madrs10'; known codes: phq9"),
        (_madrs(scale="phq9"), "phq9 is a free scale and already ships its item text"),
        (_madrs(scale="hamd17"), "hamd17 is a free scale"),
        (_madrs(version="2"), "madrs item text is for version '2', but this scale definition"),
        (_madrs(language="English"), "madrs language 'English' is not a language tag"),
        (_madrs(font="big"), r"unknown field\(s\) 'font'"),
        ({"scale": "madrs", "version": "1"}, r"missing the field\(s\) language, items"),
        (_madrs(items={"1": "x"}), "madrs items must be a list"),
        (_madrs(items=["x"]), r"madrs items\[1\] must be an object"),
        (_madrs(title=""), "madrs title must be a non-empty string"),
        (_madrs(anchors=["a"]), "madrs anchors must be an object"),
        (_madrs(anchors={"one": "a"}), "madrs anchors: key 'one' is not an integer"),
        (_madrs(anchors={"7": "a"}), "madrs anchors: answer value 7 is outside the allowed range 0-6"),
        (_madrs(anchors={"3": " "}), "madrs anchors label for 3 must be a non-empty string"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_file_with_a_clear_message(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ItemTextError, match=message):
        parse_item_text(doc)


def _with_items(items: list[Any]) -> dict[str, Any]:
    return _madrs(items=items)


GOOD = [{"id": str(n), "text": f"t{n}"} for n in range(1, 11)]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (GOOD[:9], r"madrs item text lacks item\(s\) 10"),
        ([*GOOD, {"id": "11", "text": "x"}], r"madrs items\[11\]: unknown item id '11'; the item ids are 1, 2"),
        ([*GOOD[:9], {"id": 10, "text": "x"}], r"unknown item id 10"),
        ([*GOOD, {"id": "1", "text": "again"}], "madrs item 1 appears more than once"),
        ([*GOOD[:9], {"id": "10"}], "madrs item 10 text must be a non-empty string"),
        ([*GOOD[:9], {"id": "10", "text": "x" * 5001}], "longer than 5000 characters"),
        ([*GOOD[:9], {"id": "10", "text": "x", "hint": "y"}], r"items\[10\]: unknown field\(s\) hint"),
        ([*GOOD[:9], {"id": "10", "text": "x", "anchors": {"8": "y"}}], "madrs item 10 anchors: answer value 8 is outside the allowed range 0-6"),
    ],
)  # fmt: skip
def test_it_refuses_wrong_or_missing_item_ids_and_texts(items: list[Any], message: str) -> None:
    with pytest.raises(ItemTextError, match=message):
        parse_item_text(_with_items(items))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "item text file is not valid JSON"),
        (b"\xff\xfe", "item text file is not UTF-8"),
        ("[1, 2]", "item text must be a JSON object"),
        (None, "item text must be a JSON object"),
    ],
)
def test_it_refuses_data_that_is_not_a_json_object(data: object, message: str) -> None:
    with pytest.raises(ItemTextError, match=message):
        parse_item_text(data)


def test_item_text_errors_are_scale_input_errors() -> None:
    assert issubclass(ItemTextError, ScaleInputError)


@pytest.mark.parametrize(
    "code", ["madrs", "qids_sr16", "ybocs", "cssrs_screener", "bpi_sf", "cadss"]
)
def test_every_licensed_scale_takes_a_text_file_with_its_own_item_ids(code: str) -> None:
    ids = get_definition(code).item_ids
    doc = {
        "scale": code,
        "version": "1",
        "language": "de",
        "items": [{"id": item_id, "text": f"Text {item_id}"} for item_id in ids],
    }
    assert tuple(item.id for item in parse_item_text(doc).items) == ids
