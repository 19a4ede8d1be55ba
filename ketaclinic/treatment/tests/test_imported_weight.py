"""A weight imported without its measurement date carries the import's time: it must never be
the weight a dose is computed from (it would look measured today). Found with the import-date
work (issue 15 leftovers): the dose preview took the newest weight by its time."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaclinic import testing
from ketaclinic.patients.models import MeasuredAtFilled, Patient, WeightMeasurement
from ketaclinic.research.imports import import_patients
from ketaclinic.treatment.selectors.dose import dose_preview

pytestmark = pytest.mark.django_db

HEADER = ["mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone",
          "address_line", "city", "state", "postal_code", "weight_kg", "weight_measured_on"]  # fmt: skip


def _imported(prescriber: Any, tmp_path: Path, weight: str) -> Patient:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(
            ["W1", "Ana", "Lindqvist", "1980-02-01", "female"] + [""] * 6 + [weight, ""]
        )
    result = import_patients(by=prescriber, path=path)
    assert (result.imported, result.problems) == (1, [])
    patient = Patient.objects.get(mrn="W1")
    assert WeightMeasurement.objects.get(patient=patient).measured_at_filled == (
        MeasuredAtFilled.IMPORT_TIME
    )
    return patient


def test_an_undated_imported_weight_alone_is_not_dosed_from(
    clinic_admin, nurse, prescriber, tmp_path
) -> None:
    patient = _imported(prescriber, tmp_path, "70")
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, patient=patient
    )
    with pytest.raises(ValidationError) as exc:
        dose_preview(session=session)
    assert exc.value.message_dict["weight"] == [
        "The only weight was imported without its measurement date: weigh the patient before "
        "dosing."
    ]


def test_a_measured_weight_wins_over_a_newer_undated_imported_one(
    clinic_admin, nurse, prescriber, tmp_path
) -> None:
    patient = _imported(prescriber, tmp_path, "95")
    testing.weigh(prescriber, patient, "70", days_ago=2)  # older than the import's time
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=version, patient=patient
    )
    preview = dose_preview(session=session)
    assert preview.weight_kg == Decimal("70.0")
    assert preview.dose_mg == Decimal("35.0")  # 0.5 mg/kg x 70 kg, not x 95 kg
    assert preview.weight_measured_at is not None
    assert preview.weight_measured_at < dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
