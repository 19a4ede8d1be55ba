"""Finding 8: audit events about a patient store ids and field names; values only for state fields
and for the old value of an in-place correction (21 CFR 11.10(e))."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.policy import IN_PLACE_EVENTS, STATE_FIELDS, redact_changes, redact_extra
from ketaclinic.patients.services import diagnosis_record, patient_update


def _last(event_type: EventType) -> AuditEvent:
    event = AuditEvent.objects.filter(event_type=event_type).order_by("-id").first()
    assert event is not None
    return event


def test_a_new_patient_event_names_the_fields_but_holds_no_name(make_patient, prescriber) -> None:
    patient = make_patient(prescriber, given_name="Quillon", family_name="Marrowby")
    event = _last(EventType.PATIENT_CREATED)
    assert event.patient_id == patient.pk
    assert {"given_name", "family_name", "date_of_birth"} <= set(event.extra["changes"])
    stored = json.dumps(event.extra)
    assert "Quillon" not in stored
    assert "Marrowby" not in stored
    assert "1980" not in stored


def test_a_corrected_name_keeps_only_the_old_value(make_patient, prescriber) -> None:
    patient = make_patient(prescriber, family_name="Brightwater")
    patient_update(by=prescriber, patient=patient, reason="typo", family_name="Brightwaterz")
    event = _last(EventType.PATIENT_UPDATED)
    assert event.extra["changes"] == {"family_name": {"old": "Brightwater"}}
    assert "Brightwaterz" not in json.dumps(event.extra)


def test_a_diagnosis_event_holds_neither_code_nor_text(make_patient, prescriber) -> None:
    patient = make_patient(prescriber)
    diagnosis_record(by=prescriber, patient=patient, icd10_code="F32.2", text="Severe episode")
    event = _last(EventType.DIAGNOSIS_RECORDED)
    assert event.extra["changes"] == {"icd10_code": {}, "text": {}}
    assert "Severe" not in json.dumps(event.extra)


def test_staff_and_clinic_events_keep_old_and_new_values() -> None:
    changes = {"role": ("nurse", "prescriber"), "printed_name": (None, "R. Hale")}
    assert redact_changes("user.created", changes, about_patient=False) == {
        "role": {"old": "nurse", "new": "prescriber"},
        "printed_name": {"old": None, "new": "R. Hale"},
    }


fields = st.text(alphabet="abcdefghij_", min_size=1, max_size=10) | st.sampled_from(
    sorted(STATE_FIELDS)
)
secrets = st.text(alphabet="QXZ", min_size=6, max_size=8).map(lambda s: f"SECRET{s}")
event_types = st.sampled_from(
    [*sorted(IN_PLACE_EVENTS), "patient.created", "scale.response_amended"]
)


@given(event_types, st.dictionaries(fields, st.tuples(secrets, secrets), max_size=5))
def test_no_new_value_of_patient_data_is_ever_stored(
    event_type: str, changes: dict[str, tuple[str, str]]
) -> None:
    stored = redact_changes(event_type, changes, about_patient=True)
    assert set(stored) == set(changes)  # every field is named
    for field, (old, new) in changes.items():
        if field in STATE_FIELDS:
            assert stored[field] == {"old": old, "new": new}
        elif event_type in IN_PLACE_EVENTS:
            assert stored[field] == {"old": old}  # Part 11: the prior value survives
        else:
            assert stored[field] == {}


@given(st.dictionaries(st.text(alphabet="abcdz_", min_size=1, max_size=8), secrets, max_size=6))
def test_extra_keeps_ids_and_withholds_everything_else_by_name(extra: dict[str, Any]) -> None:
    stored = redact_extra(extra, about_patient=True)
    for key, value in extra.items():
        if key.endswith(("_id", "_ids", "_by", "_at")):
            assert stored[key] == value
        elif key not in stored:
            assert key in stored["withheld"]
    assert redact_extra(extra, about_patient=False) == extra
