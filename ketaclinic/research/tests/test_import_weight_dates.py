"""An imported weight's time: the measurement date from the file when it has one (checked: a
real date, not in the future, not before birth, only with a weight), else the import's time
marked "recorded at import", so that it is never mistaken for the time of a measurement."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.patients.models import MeasuredAtFilled, Patient, WeightMeasurement
from ketaclinic.research.imports import import_patients

pytestmark = pytest.mark.django_db

HEADER = ["mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone",
          "address_line", "city", "state", "postal_code", "weight_kg", "weight_measured_on"]  # fmt: skip


def _row(mrn: str, weight: str, measured_on: str, born: str = "1980-02-01") -> list[str]:
    return [mrn, "Ana", f"Lind{mrn}", born, "female", "", "", "", "", "", "", weight, measured_on]


def _file(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_the_date_from_the_file_is_the_measurement_date_and_marked_as_such(
    prescriber: Any, tmp_path: Path, login: Any
) -> None:
    tz = prescriber.clinic.tzinfo
    today = timezone.now().astimezone(tz).date()
    on = today - dt.timedelta(days=40)
    path = _file(tmp_path, [_row("A1", "70.5", on.isoformat()), _row("A2", "81.0", "")])
    started = timezone.now()
    result = import_patients(by=prescriber, path=path)
    assert (result.imported, result.problems) == (2, [])

    dated = WeightMeasurement.objects.get(patient__mrn="A1")
    assert dated.measured_at.astimezone(tz).date() == on
    assert dated.measured_at.astimezone(tz).time() == dt.time(0, 0)
    assert dated.measured_at_filled == MeasuredAtFilled.FILE_DATE

    undated = WeightMeasurement.objects.get(patient__mrn="A2")
    assert undated.measured_at >= started  # the import's time ...
    assert undated.measured_at_filled == MeasuredAtFilled.IMPORT_TIME  # ... and marked so

    client = login(prescriber)
    page = client.get(
        reverse("patients:detail", args=[Patient.objects.get(mrn="A1").pk])
    ).content.decode()
    assert "Date from the import file; time of day not given" in page
    assert f"({on.isoformat()})" in page
    page = client.get(
        reverse("patients:detail", args=[Patient.objects.get(mrn="A2").pk])
    ).content.decode()
    assert "Recorded at import; the measurement date was not given" in page
    assert "measurement date not given" in page  # the summary line says it too


@pytest.mark.parametrize(
    ("weight", "measured_on", "born", "message"),
    [
        ("70.0", "tomorrow", "1980-02-01", "cannot be in the future"),
        ("70.0", "1979-12-31", "1980-02-01", "cannot be before the birth date"),
        ("70.0", "2026-02-30", "1980-02-01", "a real calendar date as YYYY-MM-DD"),
        ("70.0", "30/11/2026", "1980-02-01", "a real calendar date as YYYY-MM-DD"),
        ("", "2020-01-01", "1980-02-01", "a measurement date needs a weight"),
    ],
)
def test_a_bad_measurement_date_is_refused_by_row_and_column(
    prescriber: Any, tmp_path: Path, weight: str, measured_on: str, born: str, message: str
) -> None:
    if measured_on == "tomorrow":
        today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
        measured_on = (today + dt.timedelta(days=1)).isoformat()
    result = import_patients(
        by=prescriber, path=_file(tmp_path, [_row("B1", weight, measured_on, born)])
    )
    assert result.imported == 0
    assert [(p.row, p.column) for p in result.problems] == [(2, "weight_measured_on")]
    assert message in result.problems[0].message
    assert born not in result.problems[0].message  # never repeats the date of birth
    assert not WeightMeasurement.objects.exists()


def test_a_weight_entered_on_the_chart_is_not_marked_as_filled(
    prescriber: Any, make_patient: Any
) -> None:
    from ketaclinic.patients.services import weight_record

    patient = make_patient(prescriber)
    weight = weight_record(
        by=prescriber,
        patient=patient,
        value=Decimal("72"),
        unit="kg",
        measured_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert weight.measured_at_filled == MeasuredAtFilled.GIVEN
