"""The audit trail in a real browser: a patient registered by a prescriber is seen by the clinic admin."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def test_the_clinic_admin_finds_the_patient_created_event_and_exports_it_as_csv(
    new_page, prescriber, clinic_admin
):
    from ketaclinic.patients.models import Patient

    # The prescriber registers a patient in her own browser.
    desk = sign_in_through_ui(new_page(), prescriber)
    desk.goto("/patients/new/")
    desk.get_by_label("Medical record number").fill("A-7781")
    desk.get_by_label("Given name").fill("Ingrid")
    desk.get_by_label("Family name").fill("Halvorsen")
    desk.get_by_label("Date of birth").fill("1969-12-01")
    desk.get_by_label("Sex").select_option(label="Female")
    desk.get_by_role("button", name="Save").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Halvorsen, Ingrid")
    patient = Patient.objects.get(mrn="A-7781")

    # The clinic admin, in another browser context, opens the audit page.
    admin = sign_in_through_ui(new_page(), clinic_admin)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Audit trail")
    admin.get_by_label("Event type").select_option(label="Patient created")
    admin.get_by_role("button", name="Filter").click()

    expect(admin.locator("p.count")).to_contain_text("1 event.")
    rows = admin.locator("table.audit tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("Patient created")
    expect(row).to_contain_text("dana")
    expect(row).to_contain_text("Prescriber")  # the role in words (issue 14)
    expect(row).to_contain_text("family_name")  # the field is named; the name is not stored
    expect(row).not_to_contain_text("Halvorsen")
    expect(row.get_by_role("link")).to_have_attribute("href", f"/patients/{patient.pk}/")

    # Narrowing to the patient still finds it; the view by the prescriber is there too, unfiltered.
    admin.get_by_label("Event type").select_option(label="Any")
    admin.get_by_label("Patient id").fill(str(patient.pk))
    admin.get_by_role("button", name="Filter").click()
    expect(rows.filter(has_text="Patient created")).to_have_count(1)
    expect(rows.filter(has_text="Patient record viewed")).to_have_count(1)

    # Export what the filter shows: the CSV download carries the event.
    admin.get_by_label("Event type").select_option(label="Patient created")
    admin.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    export = admin.get_by_role("link", name="Export CSV")
    expect(export).to_have_attribute("href", re.compile(r"event_type=patient\.created"))
    with admin.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename == "audit-trail.csv"
    with open(download.path(), encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(io.StringIO(f.read())))
    assert [r["event_type"] for r in records] == ["patient.created"]
    (record,) = records
    assert record["patient_id"] == str(patient.pk)
    assert record["actor"] == "dana"
    assert record["role"] == "prescriber"
    assert "family_name" in json.loads(record["changes"])  # JSON, field names, no patient name
    assert "Halvorsen" not in record["changes"]
    assert len(record["hash"]) == 64
