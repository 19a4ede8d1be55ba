"""FHIR R4 QuestionnaireResponse and Observation dicts (moved from scales; issue 13)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ketaclinic.research.fhir.scales import (
    LOINC_SYSTEM,
    observations,
    questionnaire_response,
)
from ketaclinic.scales import ScaleInputError, score
from ketaclinic.scales.scoring.base import LOCAL_SYSTEM

WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
PHQ = [1, 2, 3, 0, 1, 2, 3, 0, 2]


def _codes(resource: dict[str, object]) -> list[tuple[str, str]]:
    code = resource["code"]
    assert isinstance(code, dict)
    return [(c["system"], c["code"]) for c in code["coding"]]


def test_a_phq9_questionnaire_response_carries_every_answer_and_free_item_text() -> None:
    qr = questionnaire_response("phq9", PHQ, subject="Patient/17", authored=WHEN, resource_id="r1")
    assert qr["resourceType"] == "QuestionnaireResponse"
    assert qr["id"] == "r1"
    assert qr["questionnaire"] == "https://ketaclinic.org/fhir/Questionnaire/phq9|1"
    assert qr["status"] == "completed"
    assert qr["subject"] == {"reference": "Patient/17"}
    assert qr["authored"] == "2025-03-04T09:30:00+00:00"
    assert [i["linkId"] for i in qr["item"]] == [str(n) for n in range(1, 10)]
    assert [i["answer"][0]["valueInteger"] for i in qr["item"]] == PHQ
    assert qr["item"][8]["text"].startswith("Thoughts that you would be better off dead")
    json.dumps(qr)  # plain JSON


def test_a_licensed_scale_response_has_no_item_text() -> None:
    qr = questionnaire_response("madrs", [1] * 10, subject="Patient/1", authored=WHEN)
    assert all("text" not in item for item in qr["item"])


def test_a_missing_answer_is_an_item_without_answer() -> None:
    qr = questionnaire_response("phq9", [None, *PHQ[1:]], subject="Patient/1", authored=WHEN)
    assert "answer" not in qr["item"][0]
    assert "id" not in qr


def test_yes_no_items_are_booleans() -> None:
    qr = questionnaire_response(
        "cssrs_screener", [1, 0, None, None, None, 0, None], subject="Patient/1", authored=WHEN
    )
    assert qr["item"][0]["answer"] == [{"valueBoolean": True}]
    assert qr["item"][1]["answer"] == [{"valueBoolean": False}]


def test_the_authored_time_keeps_its_offset() -> None:
    local = datetime(2025, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    qr = questionnaire_response("phq9", PHQ, subject="Patient/1", authored=local)
    assert qr["authored"] == "2025-03-04T10:30:00+01:00"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"authored": datetime(2025, 1, 1)}, "authored must be a timezone-aware datetime"),  # noqa: DTZ001
        ({"authored": "2025-01-01"}, "authored must be a datetime, not str"),
        ({"subject": "17"}, "subject must be a FHIR reference"),
        ({"subject": "Patient/17 OR 1=1"}, "subject must be a FHIR reference"),
        ({"status": "done"}, "status must be one of amended, completed"),
    ],
)
def test_it_refuses_bad_subject_time_or_status(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"subject": "Patient/1", "authored": WHEN} | kwargs
    with pytest.raises(ScaleInputError, match=message):
        questionnaire_response("phq9", PHQ, **arguments)  # type: ignore[arg-type]


def test_it_refuses_answers_that_do_not_score() -> None:
    with pytest.raises(ScaleInputError, match="phq9 item 1: 4 is outside"):
        questionnaire_response("phq9", [4, *PHQ[1:]], subject="Patient/1", authored=WHEN)


def test_phq9_observations_are_the_loinc_total_and_the_flagged_item_9() -> None:
    result = score("phq9", PHQ)
    found = observations(
        "phq9",
        PHQ,
        result,
        subject="Patient/17",
        authored=WHEN,
        questionnaire_response_ref="QuestionnaireResponse/r1",
    )
    total, item9 = found
    assert _codes(total) == [(LOINC_SYSTEM, "44261-6"), (LOCAL_SYSTEM, "phq9.total")]
    assert total["valueQuantity"] == {
        "value": 14,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert total["interpretation"][0]["coding"][0]["code"] == "phq9.band.moderate"
    assert total["status"] == "final"
    assert total["category"][0]["coding"][0]["code"] == "survey"
    assert total["subject"] == {"reference": "Patient/17"}
    assert total["effectiveDateTime"] == "2025-03-04T09:30:00+00:00"
    assert total["derivedFrom"] == [{"reference": "QuestionnaireResponse/r1"}]
    assert _codes(item9) == [(LOINC_SYSTEM, "44260-8"), (LOCAL_SYSTEM, "phq9.item.9")]
    assert item9["valueInteger"] == 2


def test_scales_without_loinc_use_the_local_code_system_for_total_and_subscores() -> None:
    answers = [1] * 20
    found = observations(
        "pcl5", answers, score("pcl5", answers), subject="Patient/1", authored=WHEN
    )
    assert [_codes(o) for o in found] == [
        [(LOCAL_SYSTEM, "pcl5.total")],
        [(LOCAL_SYSTEM, "pcl5.B")],
        [(LOCAL_SYSTEM, "pcl5.C")],
        [(LOCAL_SYSTEM, "pcl5.D")],
        [(LOCAL_SYSTEM, "pcl5.E")],
    ]
    assert "interpretation" not in found[0]
    assert "derivedFrom" not in found[0]


def test_an_incomplete_response_gives_no_total_observation_but_keeps_known_subscores() -> None:
    answers: list[int | None] = [2] * 9 + [None]
    found = observations(
        "ybocs", answers, score("ybocs", answers), subject="Patient/1", authored=WHEN
    )
    assert [_codes(o) for o in found] == [[(LOCAL_SYSTEM, "ybocs.obsessions")]]


def test_the_cssrs_risk_level_is_a_coded_value_with_its_loinc() -> None:
    answers = [1, 1, 1, 1, 0, 0, None]
    found = observations(
        "cssrs_screener",
        answers,
        score("cssrs_screener", answers),
        subject="Patient/1",
        authored=WHEN,
    )
    risk = found[0]
    assert _codes(risk)[0] == (LOINC_SYSTEM, "93374-7")
    assert risk["valueCodeableConcept"]["text"] == "high"
    assert "interpretation" not in risk
    flagged = [_codes(o)[0] for o in found[1:]]
    assert flagged == [(LOINC_SYSTEM, c) for c in ("93246-7", "93247-5", "93248-3", "93249-1")]
    assert found[1]["valueBoolean"] is True


def test_moaas_at_0_exports_the_flagged_item_with_the_local_code() -> None:
    found = observations("moaas", [0], score("moaas", [0]), subject="Patient/1", authored=WHEN)
    assert [_codes(o) for o in found] == [
        [(LOCAL_SYSTEM, "moaas.total")],
        [(LOCAL_SYSTEM, "moaas.item.1")],
    ]


def test_it_refuses_a_result_that_does_not_match_the_answers() -> None:
    with pytest.raises(ScaleInputError, match="phq9 result does not match the answers"):
        observations("phq9", PHQ, score("phq9", [0] * 9), subject="Patient/1", authored=WHEN)


def test_it_refuses_a_bad_questionnaire_response_reference() -> None:
    with pytest.raises(ScaleInputError, match="questionnaire_response must be a FHIR reference"):
        observations(
            "phq9", PHQ, score("phq9", PHQ), subject="Patient/1", authored=WHEN,
            questionnaire_response_ref="not a reference",
        )  # fmt: skip
