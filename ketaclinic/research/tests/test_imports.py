"""CSV imports: every row checked against the patients and scales rules, errors by row and column,
all-or-nothing unless --skip-invalid, re-runs import nothing twice, responses marked historical."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.patients.models import Patient, WeightMeasurement
from ketaclinic.patients.services import patient_create
from ketaclinic.research.imports import import_patients, import_responses
from ketaclinic.research.imports.responses import _answers
from ketaclinic.research.models import ImportedResponse
from ketaclinic.scales.models import ScaleResponse

HEADER = [
    "mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone", "address_line",
    "city", "state", "postal_code", "weight_kg",
]  # fmt: skip
GOOD = ["A1", "Ana", "Lind", "1980-02-01", "female", "ana@example.org", "+1 617 555 0100",
        "1 Elm St", "Boston", "MA", "02110", "70.5"]  # fmt: skip
GOOD2 = ["A2", "Bo", "Kerr", "1975-07-09", "male", "", "", "", "", "", "", ""]


def _file(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _run(kind: str, path: Path, member: Any, *extra: str) -> None:
    call_command(
        "import", kind, str(path), "--clinic", member.clinic.code, "--by", member.user.username,
        *extra,
    )  # fmt: skip


def test_valid_patients_are_imported_once_with_their_weight(
    front_desk: Any, prescriber: Any, tmp_path: Path
) -> None:
    path = _file(tmp_path, [GOOD, GOOD2])
    result = import_patients(by=prescriber, path=path)
    assert (result.imported, result.skipped, result.problems) == (2, 0, [])
    ana = Patient.objects.get(clinic=prescriber.clinic, mrn="A1")
    assert ana.city == "Boston" and ana.date_of_birth.isoformat() == "1980-02-01"
    assert str(WeightMeasurement.objects.get(patient=ana).weight_kg) == "70.5"
    assert not WeightMeasurement.objects.filter(patient__mrn="A2").exists()  # blank: not measured
    again = import_patients(by=prescriber, path=path)
    assert (again.imported, again.skipped) == (0, 2)
    assert Patient.objects.filter(clinic=prescriber.clinic).count() == 2


def test_one_bad_row_stops_the_whole_file_and_names_row_and_column(
    prescriber: Any, tmp_path: Path, capsys: Any
) -> None:
    bad = ["A3", "Cy", "Moss", "2199-01-01", "robot", "not-an-email", "", "", "", "", "", "900"]
    path = _file(tmp_path, [GOOD, bad, [*GOOD[:1], *GOOD2[1:]]])
    with pytest.raises(CommandError, match="invalid row"):
        _run("patients", path, prescriber)
    err = capsys.readouterr().err
    assert "row 3, column sex:" in err
    assert "row 3, column email:" in err
    assert "row 3, column birth_date:" in err and "future" in err
    assert "row 3, column weight_kg:" in err and "between 20" in err
    assert "row 4, column mrn: the same MRN is also on row 2" in err
    assert "not-an-email" not in err and "A1" not in err  # identifying cells are not repeated
    assert not Patient.objects.filter(clinic=prescriber.clinic).exists()


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects(
    prescriber: Any, tmp_path: Path
) -> None:
    bad = ["A3", "", "Moss", "1980-02-30", "female", "", "", "", "", "", "", ""]
    path = _file(tmp_path, [GOOD, bad])
    _run("patients", path, prescriber, "--skip-invalid")
    assert list(Patient.objects.values_list("mrn", flat=True)) == ["A1"]
    rejects_path = tmp_path / "in.rejects.csv"
    rejects = list(csv.DictReader(rejects_path.open(encoding="utf-8")))
    assert list(rejects[0]) == [*HEADER, "error"]  # the original columns, then the error
    assert [r["mrn"] for r in rejects] == ["A3"]
    error = rejects[0]["error"]
    assert error.startswith("row 3: ") and "given_name: required" in error
    assert "birth_date: a real calendar date as YYYY-MM-DD" in error
    # The data manager corrects the rejects file and imports it as it is.
    rows = rejects_path.read_text(encoding="utf-8").replace(
        '"","Moss","1980-02-30"', '"Cy","Moss","1980-02-03"'
    )
    rejects_path.write_text(rows, encoding="utf-8")
    _run("patients", rejects_path, prescriber)
    assert sorted(Patient.objects.values_list("mrn", flat=True)) == ["A1", "A3"]


def test_phones_are_kept_in_international_form_and_names_searchable(
    prescriber: Any, tmp_path: Path
) -> None:
    row = ["A5", "Élodie", "Dürr", "1990-01-31", "Female", "", "(617) 555-0100", "", "", "", "", ""]
    import_patients(by=prescriber, path=_file(tmp_path, [row]))
    patient = Patient.objects.get(mrn="A5")
    assert (patient.phone, patient.sex, patient.search_name) == (
        "+16175550100",
        "female",
        "elodie durr",
    )
    assert patient.hepatic_impairment == "unknown"


def test_a_likely_duplicate_needs_different_person_and_a_taken_mrn_is_refused(
    prescriber: Any, make_patient: Any, tmp_path: Path
) -> None:
    make_patient(
        prescriber, mrn="M1", given_name="Ana", family_name="Lind", date_of_birth=date(1980, 2, 1)
    )
    namesake = ["N1", "ANA", "Lind", "1980-02-01", "female", "", "", "", "", "", "", ""]
    taken = ["M1", "Zed", "Other", "1970-01-01", "male", "", "", "", "", "", "", ""]
    same = ["M1", "Ana", "Lind", "1980-02-01", "female", "", "", "", "", "", "", ""]
    result = import_patients(by=prescriber, path=_file(tmp_path, [namesake, taken]))
    assert [(p.row, p.column) for p in result.problems] == [(2, "different_person"), (3, "mrn")]
    assert (
        "as a patient of this clinic" in result.problems[0].message
        and "another patient" in result.problems[1].message
    )
    assert result.imported == 0
    confirmed = _file(tmp_path, [[*namesake, "yes"], same], header=[*HEADER, "different_person"])
    again = import_patients(by=prescriber, path=confirmed)
    assert (again.imported, again.already_there, again.problems) == (1, 1, [])
    assert Patient.objects.filter(clinic=prescriber.clinic, family_name="Lind").count() == 2


def test_progress_is_shown_on_a_terminal_only(prescriber: Any, tmp_path: Path, capsys: Any) -> None:
    _run("patients", _file(tmp_path, [GOOD]), prescriber)
    out = capsys.readouterr()
    assert "imported 1, already imported 0, already in the clinic 0, rejected 0" in out.out
    assert "checking" not in out.err and "importing" not in out.err  # not a terminal: no bar


def test_a_file_without_the_columns_or_with_unknown_ones_is_refused(
    prescriber: Any, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="missing column"):
        _run("patients", _file(tmp_path, [["A1"]], header=["mrn"]), prescriber)
    with pytest.raises(CommandError, match="unknown column"):
        _run("patients", _file(tmp_path, [[*GOOD, "x"]], header=[*HEADER, "wieght"]), prescriber)


def test_a_role_that_does_not_register_patients_cannot_import(
    researcher: Any, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="registers patients"):
        _run("patients", _file(tmp_path, [GOOD]), researcher)


RESP_HEADER = ["mrn", "scale", "taken_at", *[f"item_{i}" for i in range(1, 10)]]


def test_historical_responses_are_scored_marked_imported_and_not_duplicated(
    prescriber: Any, make_patient: Any, tmp_path: Path
) -> None:
    make_patient(prescriber, mrn="R1")
    rows = [
        ["R1", "phq9", "2024-03-01 09:30", "1", "1", "1", "1", "1", "1", "1", "1", "0"],
        ["R1", "phq9", "2024-04-01T10:00:00+00:00", "3", "3", "3", "3", "3", "3", "3", "3", ""],
        ["R1", "gad7", "2024-04-01 10:00", "2", "2", "2", "2", "2", "2", "2", "", ""],
    ]
    path = _file(tmp_path, rows, RESP_HEADER)
    result = import_responses(by=prescriber, path=path)
    assert (result.imported, result.problems) == (3, [])
    totals = sorted(ScaleResponse.objects.values_list("code", "total"), key=str)
    assert totals == [("gad7", 14.0), ("phq9", 8.0), ("phq9", None)]
    assert ScaleResponse.objects.get(code="phq9", total=None).answers[8] is None  # blank: None
    assert ImportedResponse.objects.count() == 3
    first = ScaleResponse.objects.order_by("effective_at").first()
    assert first is not None and first.effective_at.isoformat() == "2024-03-01T14:30:00+00:00"
    again = import_responses(by=prescriber, path=path)
    assert (again.imported, again.skipped) == (0, 3)


def test_bad_responses_name_row_and_column(
    prescriber: Any, make_patient: Any, tmp_path: Path, capsys: Any
) -> None:
    make_patient(prescriber, mrn="R1")
    rows = [
        ["R9", "phq9", "2024-03-01 09:30", *["0"] * 9],
        ["R1", "nope", "2024-03-01 09:30", *["0"] * 9],
        ["R1", "phq9", "yesterday", *["0"] * 9],
        ["R1", "phq9", "2024-03-01 09:30", "7", *["0"] * 8],
        ["R1", "phq9", "2999-03-01 09:30", *["0"] * 9],
    ]
    with pytest.raises(CommandError, match="5 invalid row"):
        _run("responses", _file(tmp_path, rows, RESP_HEADER), prescriber)
    err = capsys.readouterr().err
    assert "row 2, column mrn: no patient of this clinic has this MRN" in err
    assert "row 3, column scale: one of bpi_sf, bprs," in err
    assert "row 4, column taken_at" in err and "row 6, column taken_at" in err
    assert "row 5, column items" in err
    assert not ScaleResponse.objects.exists()


@given(cells=st.lists(st.one_of(st.just(""), st.integers(-5, 9).map(str), st.text(max_size=3))))
@settings(max_examples=200, deadline=None)
def test_item_cells_become_answers_or_a_named_problem(cells: list[str]) -> None:
    row = {f"item_{i + 1}": c.strip() for i, c in enumerate(cells)}
    answers, problems = _answers(2, row, 9)
    assert len(answers) == 9
    named = {p.column for p in problems}
    for i in range(9):
        cell = row.get(f"item_{i + 1}", "")
        if cell == "":
            assert answers[i] is None and f"item_{i + 1}" not in named
        elif re.fullmatch(r"-?[0-9]{1,3}", cell):
            assert answers[i] == int(cell)
        else:
            assert f"item_{i + 1}" in named


PARITY = [
    ("given_name", "", "given_name"),
    ("given_name", "x" * 101, "given_name"),
    ("email", "ana@", "email"),
    ("phone", "555", "phone"),
    ("birth_date", "2999-01-01", "date_of_birth"),
    ("birth_date", "1890-01-01", "date_of_birth"),
    ("postal_code", "1" * 17, "postal_code"),
    ("sex", "robot", "sex"),
    ("mrn", "M" * 33, "mrn"),
    (None, "", None),
]


@pytest.mark.parametrize(("column", "value", "field"), PARITY)
def test_an_import_row_is_refused_exactly_when_the_registration_service_refuses_it(
    prescriber: Any, tmp_path: Path, column: str | None, value: str, field: str | None
) -> None:
    row = dict(
        zip(
            HEADER,
            ["P1", "Ana", "Lind", "1980-02-01", "female", "", "", "", "", "", "", ""],
            strict=True,
        )
    )
    if column is not None:
        row[column] = value
    fields: dict[str, Any] = {
        ("date_of_birth" if k == "birth_date" else k): v for k, v in row.items() if k != "weight_kg"
    }
    if fields["date_of_birth"][:1].isdigit():
        fields["date_of_birth"] = date.fromisoformat(fields["date_of_birth"])
    try:
        patient_create(by=prescriber, different_person=True, **fields)
        refused: set[str] = set()
    except ValidationError as error:
        refused = set(error.message_dict)
    # (the valid row is then already there: the same person with the same MRN)
    result = import_patients(by=prescriber, path=_file(tmp_path, [list(row.values())]))
    assert {p.column for p in result.problems} == ({column} if column else set())
    assert refused == ({field} if field else set())
