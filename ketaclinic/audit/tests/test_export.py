"""The audit list and CSV export: refused filters (finding 10) and neutralised cells (finding 4)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import transaction
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.services import audit_record


def _export(client, query: str):
    return client.get(reverse("audit:export") + query)


def _rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?patient=not-a-uuid", "Patient id"),
        ("?start=2026-13-45", "From"),
        ("?event_type=made.up", "Event type"),
        ("?user=999999", "User"),
        ("?start=2026-02-01&end=2026-01-01", "To (inclusive)"),
        ("?patinet=0b7c", "Unknown filter"),
    ],
)
def test_an_invalid_filter_exports_nothing_and_names_the_field(
    clinic_admin, login, query, named
) -> None:
    client = login(clinic_admin)
    exported_before = AuditEvent.objects.filter(event_type=EventType.AUDIT_EXPORTED).count()
    for url in (reverse("audit:export"), reverse("audit:list")):
        response = client.get(url + query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert "The filter was refused" in response.content.decode()
        assert named in response.content.decode()
        assert "No events match" in response.content.decode()
    after = AuditEvent.objects.filter(event_type=EventType.AUDIT_EXPORTED).count()
    assert after == exported_before


def test_a_valid_filter_still_exports(clinic_admin, login) -> None:
    client = login(clinic_admin)
    response = _export(client, "?event_type=clinic.updated")
    assert response.status_code == 200
    assert all(r["event_type"] == "clinic.updated" for r in _rows(response))


def test_formula_cells_are_neutralised_and_changes_are_json(clinic_admin, login) -> None:
    payload = '=HYPERLINK("http://evil.example","x")'
    with transaction.atomic():
        audit_record(
            event_type=EventType.CLINIC_UPDATED,
            actor=clinic_admin,
            reason=payload,
            changes={"name": ("-old", "@new")},
        )
    rows = _rows(_export(login(clinic_admin), "?event_type=clinic.updated"))
    row = next(r for r in rows if r["reason"].endswith(payload))
    assert row["reason"] == "'" + payload
    assert json.loads(row["changes"]) == {"name": {"old": "-old", "new": "@new"}}
