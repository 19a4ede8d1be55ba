"""An import stopped between two chunks (a crash, a kill) is completed by running it again: the rows
already written are reported as already imported and never written twice; and any file either
imports completely or imports nothing and names every bad row (property test)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Patient, WeightMeasurement
from ketaclinic.research.imports import import_patients, import_responses
from ketaclinic.research.imports.common import ImportInterruptedError
from ketaclinic.research.models import ImportBatch, ImportedResponse
from ketaclinic.scales.models import ScaleResponse

HEADER = [
    "mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone", "address_line",
    "city", "state", "postal_code", "weight_kg",
]  # fmt: skip


def _file(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _patient(i: int, prefix: str = "P") -> list[str]:
    return [f"{prefix}{i}", f"Given{prefix}{i}", f"Family{i}", "1980-02-01", "female",
            f"p{i}@example.org", "+1 617 555 0100", "", "Boston", "MA", "02110", "70.5"]  # fmt: skip


def _stop_after_first_chunk(last_row: int) -> None:
    raise ImportInterruptedError(f"stopped after row {last_row}")


def test_an_interrupted_patients_import_resumes_without_duplicates(
    prescriber: Any, tmp_path: Path
) -> None:
    path = _file(tmp_path / "p.csv", HEADER, [_patient(i) for i in range(5)])
    with pytest.raises(ImportInterruptedError):
        import_patients(by=prescriber, path=path, chunk_size=2, after_chunk=_stop_after_first_chunk)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["P0", "P1"]
    batch = ImportBatch.objects.get()
    assert (batch.last_row, batch.rows_imported, batch.finished_at) == (3, 2, None)

    again = import_patients(by=prescriber, path=path, chunk_size=2)
    assert (again.imported, again.already_imported, again.already_there) == (3, 2, 0)
    assert again.resumed_from == batch.started_at
    assert Patient.objects.filter(clinic=prescriber.clinic).count() == 5
    assert WeightMeasurement.objects.count() == 5  # one weight each, none twice
    batch.refresh_from_db()  # the same batch, completed
    assert (batch.rows_imported, batch.rows_skipped) == (5, 2) and batch.finished_at is not None
    assert ImportBatch.objects.count() == 1
    events = AuditEvent.objects.filter(event_type="patient.created")
    assert sorted(len(e.extra["patient_ids"]) for e in events) == [1, 2, 2]  # one per chunk

    third = import_patients(by=prescriber, path=path)  # a finished file run again: nothing new
    assert (third.imported, third.already_imported, third.already_there) == (0, 0, 5)


def test_an_interrupted_responses_import_resumes_without_duplicates(
    prescriber: Any, make_patient: Any, tmp_path: Path
) -> None:
    make_patient(prescriber, mrn="R1")
    rows = [["R1", "PHQ-9", f"2024-03-{day:02d} 09:30", *["1"] * 9] for day in range(1, 6)]
    path = _file(
        tmp_path / "r.csv", ["mrn", "scale", "taken_at", *[f"item_{i}" for i in range(1, 10)]], rows
    )
    with pytest.raises(ImportInterruptedError):
        import_responses(
            by=prescriber, path=path, chunk_size=2, after_chunk=_stop_after_first_chunk
        )
    assert ScaleResponse.objects.count() == 2
    again = import_responses(by=prescriber, path=path, chunk_size=2)
    assert (again.imported, again.already_imported, again.already_there) == (3, 2, 0)
    assert ScaleResponse.objects.count() == 5 == ImportedResponse.objects.count()
    assert set(ScaleResponse.objects.values_list("code", "total")) == {("phq9", 9.0)}
    assert ImportBatch.objects.get().rows_imported == 5


# --- property: all or nothing, every bad row named -------------------------------------------

# Each corruption makes a row invalid in one column.
CORRUPT = {
    "sex": (4, "robot"),
    "birth_date": (3, "2199-01-01"),
    "birth_date_format": (3, "01/02/1980"),
    "weight_kg": (11, "900"),
    "given_name": (1, ""),
    "email": (5, "not-an-email"),
    "phone": (6, "12"),
    "mrn_length": (0, "X" * 40),
}
_runs = itertools.count()


@given(
    plan=st.lists(st.one_of(st.none(), st.sampled_from(sorted(CORRUPT))), min_size=1, max_size=8),
    duplicate=st.booleans(),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_file_imports_completely_or_not_at_all_and_names_every_bad_row(
    prescriber: Any, tmp_path: Path, plan: list[str | None], duplicate: bool
) -> None:
    prefix = f"H{next(_runs)}x"
    rows = []
    for i, corruption in enumerate(plan):
        row = _patient(i, prefix)
        if corruption is not None:
            column, value = CORRUPT[corruption]
            row[column] = value
        rows.append(row)
    bad = {i + 2 for i, c in enumerate(plan) if c is not None}  # file rows (header is row 1)
    if duplicate and len(rows) > 1 and plan[0] != "mrn_length":
        rows[-1][0] = rows[0][0]  # the first row's MRN again
        bad.add(len(rows) + 1)
    path = _file(tmp_path / f"{prefix}.csv", HEADER, rows)
    result = import_patients(by=prescriber, path=path)
    mine = Patient.objects.filter(clinic=prescriber.clinic, given_name__startswith=f"Given{prefix}")
    assert {p.row for p in result.problems} == bad
    if bad:
        assert result.imported == 0 and not mine.exists()
    else:
        assert result.imported == len(rows) == mine.count()
