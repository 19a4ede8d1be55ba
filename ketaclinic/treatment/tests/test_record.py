"""The signed record built from plain data (no database): its canonical format, the amendments
laid over the PMF, and the PMF's round trip through its stored dict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.domain.pmf import pmf_from_dict, pmf_to_dict
from ketaclinic.treatment.domain.record import (
    AmendmentFacts,
    DoseFacts,
    SessionFacts,
    SessionRecord,
    dose_content,
    session_content,
)
from ketaclinic.treatment.domain.record import amended_pmf_data as lay_amendments

PARIS = dt.timezone(dt.timedelta(hours=2))
AT = dt.datetime(2026, 3, 2, 11, 30, 15, 123456, tzinfo=PARIS)
PATIENT = uuid.UUID("4d2e2985-7dbb-40b9-bcd6-0017a6db9577")

DOSE = DoseFacts(
    dose_mg=Decimal("56"),
    dose_mg_per_kg=None,
    weight_kg=Decimal("70.50"),
    weight_measured_at=None,
    product="Spravato",
    lot_number="LOT123",
    expiry_date=dt.date(2027, 1, 31),
    concentration_mg_per_ml=None,
    volume_ml=Decimal("0"),
    rate_ml_per_h=None,
    device_count=2,
    device_times=("2026-03-02T09:30:00+00:00", "2026-03-02T09:35:00+00:00"),
    started_at=AT,
    override_reason="",
    given_by_id=3,
    witnessed_by_id=None,
)


def test_times_are_utc_to_the_second_and_decimals_strings_or_none() -> None:
    content = dose_content(session_id=7, patient_id=PATIENT, dose=DOSE)
    assert content["session_id"] == 7
    assert content["patient_id"] == str(PATIENT)
    dose = content["dose"]
    assert dose["started_at"] == "2026-03-02T09:30:15+00:00"
    assert dose["expiry_date"] == "2027-01-31"
    assert dose["dose_mg"] == "56"
    assert dose["weight_kg"] == "70.50"
    assert dose["volume_ml"] is None  # a zero is recorded as absent, as it always was
    assert dose["device_times"] == list(DOSE.device_times)


def test_an_iv_preparation_is_part_of_what_the_witness_signs() -> None:
    """The bag or syringe, its final volume and concentration, the requested dose and the rate
    are signed with the dose, so a changed preparation breaks the signature."""
    iv = dataclasses.replace(
        DOSE,
        requested_dose_mg=Decimal("35.000"),
        container="bag",
        final_volume_ml=Decimal("100.0"),
        final_concentration_mg_per_ml=Decimal("0.3500"),
        rate_mg_per_h=Decimal("52.5"),
    )
    dose = dose_content(session_id=7, patient_id=PATIENT, dose=iv)["dose"]
    assert dose["container"] == "bag"
    assert dose["final_volume_ml"] == "100.0"
    assert dose["final_concentration_mg_per_ml"] == "0.3500"
    assert dose["requested_dose_mg"] == "35.000"
    assert dose["rate_mg_per_h"] == "52.5"
    other = dataclasses.replace(iv, final_volume_ml=Decimal("50.0"))
    assert dose_content(session_id=7, patient_id=PATIENT, dose=other) != dose_content(
        session_id=7, patient_id=PATIENT, dose=iv
    )


def test_a_dose_without_a_preparation_signs_as_it_always_did() -> None:
    dose = dose_content(session_id=7, patient_id=PATIENT, dose=DOSE)["dose"]
    assert not {
        "requested_dose_mg",
        "container",
        "final_volume_ml",
        "final_concentration_mg_per_ml",
        "rate_mg_per_h",
    } & set(dose)


def test_the_session_content_has_its_sections_in_order() -> None:
    record = SessionRecord(
        session=SessionFacts(
            id=1,
            patient_id=PATIENT,
            course_id=2,
            protocol_version_id=3,
            number=1,
            scheduled_at=AT,
            chair="Chair 1",
            checked_in_at=None,
            dose_started_at=AT,
            discharged_at=None,
            discharge_criteria_met=("vitals_acceptable",),
            escort="",
            discharge_note="",
        ),
        checklist=None,
        decisions=(),
        dose=DOSE,
        observations=(),
        adverse_events=(),
        rems_form={"lot_number": "LOT123"},
        amendments=(),
    )
    content = session_content(record)
    assert list(content) == [
        "session",
        "checklist",
        "decisions",
        "dose",
        "observations",
        "adverse_events",
        "rems_form",
        "amendments",
    ]
    assert content["session"]["discharge_criteria_met"] == ["vitals_acceptable"]
    assert content["dose"] == dose_content(session_id=1, patient_id=PATIENT, dose=DOSE)["dose"]


def test_pmf_and_lot_number_amendments_are_laid_over_the_form_newest_last() -> None:
    def amend(field: str, new: str) -> AmendmentFacts:
        return AmendmentFacts(field, None, new, "typo", 1, AT)

    data = {"lot_number": "LOT123", "hcp_phone": "555-0100"}
    amended = lay_amendments(
        data,
        [
            amend("rems.hcp_phone", "555-0101"),
            amend("dose.lot_number", "LOT124"),
            amend("escort", "Mum"),
            amend("rems.hcp_phone", "555-0102"),
        ],
    )
    assert amended == {"lot_number": "LOT124", "hcp_phone": "555-0102"}
    assert data["hcp_phone"] == "555-0100"  # the stored data is not changed


def test_a_pmf_survives_its_stored_dict() -> None:
    form = rems.PatientMonitoringForm(
        patient_name="Alex Sample",
        patient_date_of_birth=dt.date(1980, 5, 17),
        dose=rems.PmfDose.MG_84,
        takes_benzodiazepines=True,
        total_monitoring_minutes=125,
    )
    stored = pmf_to_dict(form)
    assert stored["patient_date_of_birth"] == "1980-05-17"
    assert stored["dose"] == "84"
    assert pmf_from_dict(stored) == form
    assert pmf_from_dict({"takes_maois": "no", "total_monitoring_minutes": "130"}) == (
        rems.PatientMonitoringForm(takes_maois=False, total_monitoring_minutes=130)
    )
