"""The de-identified export (HIPAA Safe Harbor): identifying data in every field of the source,
none of it in any exported file; ages and ZIP codes transformed; dates only as years or days."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketaclinic.research.export import dictionary_markdown, export_deidentified
from ketaclinic.research.models import StudyId
from ketaclinic.research.tests.conftest import AE_TEXT, OLD, YOUNG

FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}")


def _identifiers(patient: Any) -> set[str]:
    strings = {
        str(value)
        for key, value in {**OLD, **YOUNG}.items()
        if isinstance(value, str) and key not in {"sex", "state"}
    }
    strings |= {AE_TEXT, "LOT-QX-99871", "Chair Zebulonia", "Zebulonia", "Quixotely"}
    strings |= {str(patient.pk), patient.pk.hex}
    return strings


def _dates(*patients: Any) -> set[str]:
    today = dt.datetime.now(dt.UTC).date()
    days = {today, today - dt.timedelta(days=1), today + dt.timedelta(days=1)}
    days |= {p.date_of_birth for p in patients}
    found = set()
    for day in days:
        found |= {day.isoformat(), day.strftime("%m/%d/%Y"), day.strftime("%Y%m%d")}
    return found


def _texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(out.iterdir()):
        if path.suffix == ".parquet":
            texts[path.name] = "\n".join(
                ",".join("" if v is None else str(v) for v in row.values())
                for row in pq.read_table(path).to_pylist()
            )
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def _rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_no_identifier_or_full_date_reaches_any_exported_file(
    registry: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "export"
    counts = export_deidentified(clinic_ids=[registry["old"].clinic_id], out=out, fmt=fmt)
    assert counts[f"patients.{fmt}"] == 2
    assert counts[f"doses.{fmt}"] == 1 and counts[f"adverse_events.{fmt}"] == 1
    forbidden = _identifiers(registry["old"]) | _identifiers(registry["young"])
    dates = _dates(registry["old"], registry["young"])
    for name, text in _texts(out).items():
        lowered = text.lower()
        leaked = sorted(s for s in forbidden if s.lower() in lowered)
        assert not leaked, f"{name} contains {leaked}"
        assert not [d for d in dates if d in text], f"{name} contains a full date"
        if name != "manifest.json":
            assert not FULL_DATE.search(text), f"{name}: {FULL_DATE.search(text)}"


def test_ages_over_89_are_90_plus_and_zip_codes_keep_three_digits_or_000(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    export_deidentified(clinic_ids=[registry["old"].clinic_id], out=out)
    keys = dict(StudyId.objects.values_list("patient_id", "study_id"))
    patients = {row["study_id"]: row for row in _rows(out, "patients")}
    old = patients[keys[registry["old"].pk]]
    young = patients[keys[registry["young"].pk]]
    assert old["age_at_index"] == "90+" and old["zip3"] == "000"
    assert young["zip3"] == "100" and young["state"] == "NY"
    today = dt.datetime.now(dt.UTC).date()
    expected = today.year - 1984 - ((today.month, today.day) < (11, 2))
    assert young["age_at_index"] == str(expected)
    assert old["index_year"] == str(today.year)


def test_study_ids_are_random_kept_in_the_clinic_and_stable_across_exports(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    clinic_ids = [registry["old"].clinic_id]
    export_deidentified(clinic_ids=clinic_ids, out=tmp_path / "one")
    export_deidentified(clinic_ids=clinic_ids, out=tmp_path / "two")
    first = {r["study_id"] for r in _rows(tmp_path / "one", "patients")}
    second = {r["study_id"] for r in _rows(tmp_path / "two", "patients")}
    assert first == second == set(StudyId.objects.values_list("study_id", flat=True))
    assert all(re.fullmatch(r"KC-[A-Z2-9]{10}", s) for s in first)
    # Session keys are made fresh per export: they join tables inside one export only.
    one = _rows(tmp_path / "one", "doses")[0]["session_key"]
    two = _rows(tmp_path / "two", "doses")[0]["session_key"]
    assert one != two
    assert one in {r["session_key"] for r in _rows(tmp_path / "one", "sessions")}


def test_tables_join_and_unanswered_items_stay_blank(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    export_deidentified(clinic_ids=[registry["old"].clinic_id], out=out)
    responses = {r["response_key"]: r for r in _rows(out, "scale_responses")}
    items = _rows(out, "scale_items")
    assert responses and {r["response_key"] for r in items} == set(responses)
    assert any(r["answer"] == "" for r in items) or all(r["answer"] != "" for r in items)
    vitals = _rows(out, "vitals")
    assert {"heart_rate"} <= {r["code"] for r in vitals}
    assert "note" not in {r["code"] for r in vitals}  # free text never leaves
    heart = next(r for r in vitals if r["code"] == "heart_rate" and r["value"] == "77")
    assert heart["loinc"] == "8867-4" and heart["unit"] == "/min"
    decisions = _rows(out, "screening_decisions")
    assert decisions and decisions[0]["outcome"] == "eligible"
    dose = _rows(out, "doses")[0]
    assert dose["drug"] == "esketamine" and dose["dose_mg"] == "56.000"


def test_an_interrupted_export_is_started_again_and_an_existing_folder_is_never_overwritten(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    stale = tmp_path / ".export.partial"
    stale.mkdir()
    (stale / "patients.csv").write_text("half a file", encoding="utf-8")
    call_command("export", "deidentified", "--out", str(out))
    assert not stale.exists()
    assert len(_rows(out, "patients")) == 2
    with pytest.raises(CommandError, match="already exists"):
        call_command("export", "deidentified", "--out", str(out))
    with pytest.raises(CommandError, match="no clinic 'NOPE'"):
        call_command("export", "deidentified", "--out", str(tmp_path / "x"), "--clinic", "NOPE")


def test_another_clinics_patients_are_not_in_a_one_clinic_export(
    registry: dict[str, Any], outsider: Any, make_patient: Any, tmp_path: Path
) -> None:
    make_patient(outsider, mrn="OUT-1", family_name="Outlander")
    out = tmp_path / "export"
    call_command(
        "export", "deidentified", "--out", str(out), "--clinic", registry["old"].clinic.code
    )
    assert len(_rows(out, "patients")) == 2


def test_the_committed_data_dictionary_is_the_generated_one() -> None:
    committed = Path(__file__).resolve().parents[3] / "docs" / "data-dictionary.md"
    assert committed.read_text(encoding="utf-8") == dictionary_markdown(), (
        "run `ketaclinic export dictionary` and commit docs/data-dictionary.md"
    )
