"""FHIR R4 NDJSON export: every line parses with fhir.resources (R4B), counts round-trip, the
de-identified files carry no identifier and only years, the identified export is for admins."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B import get_fhir_model_class

from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Patient
from ketaclinic.research.export import ExportError, export_deidentified, export_identified_fhir
from ketaclinic.research.export.context import build_context
from ketaclinic.research.export.fhir_writer import write_fhir
from ketaclinic.research.tests.conftest import OLD
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.treatment.models import AdverseEvent, DoseAdministration, TreatmentSession


def _resources(out: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(out.glob("*.ndjson")):
        kind = path.stem
        found[kind] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            model = get_fhir_model_class(kind).model_validate_json(line)  # parses or raises
            assert model.get_resource_type() == kind
            found[kind].append(json.loads(line))
    return found


def test_every_line_parses_and_counts_round_trip(registry: dict[str, Any], tmp_path: Path) -> None:
    clinic_id = registry["old"].clinic_id
    counts = export_deidentified(clinic_ids=[clinic_id], out=tmp_path / "f", fmt="fhir")
    found = _resources(tmp_path / "f")
    assert {k: len(v) for k, v in found.items()} == {
        name.removesuffix(".ndjson"): n for name, n in counts.items()
    }
    assert len(found["Patient"]) == Patient.objects.filter(clinic_id=clinic_id).count()
    assert len(found["Encounter"]) == TreatmentSession.objects.filter(clinic_id=clinic_id).count()
    assert (
        len(found["QuestionnaireResponse"])
        == ScaleResponse.objects.filter(clinic_id=clinic_id).count()
    )
    assert len(found["MedicationAdministration"]) == DoseAdministration.objects.count() == 1
    assert len(found["AdverseEvent"]) == AdverseEvent.objects.count() == 1
    vitals = [o for o in found["Observation"] if o["category"][0]["coding"][0]["code"] != "survey"]
    assert any(c["code"] == "8867-4" for o in vitals for c in o["code"]["coding"])
    dose = found["MedicationAdministration"][0]
    assert dose["medicationCodeableConcept"]["coding"][0]["system"].endswith("rxnorm")
    assert dose["dosage"]["dose"]["code"] == "mg"


def test_de_identified_fhir_has_no_identifier_and_years_only(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    export_deidentified(clinic_ids=[registry["old"].clinic_id], out=tmp_path / "f", fmt="fhir")
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "f").glob("*.ndjson"))
    for key in ("mrn", "given_name", "family_name", "email", "phone", "address_line", "city"):
        assert str(OLD[key]).lower() not in text.lower(), key
    assert str(registry["old"].pk) not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    old = next(
        p
        for p in _resources(tmp_path / "f")["Patient"]
        if p.get("address", [{}])[0].get("state") == "NH"
    )
    assert "birthDate" not in old  # over 89: not even the year


def test_the_identified_export_is_for_clinic_admins_and_is_audited(
    registry: dict[str, Any], clinic_admin: Any, researcher: Any, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="only a clinic admin"):
        export_identified_fhir(by=researcher, out=tmp_path / "no")
    before = AuditEvent.objects.filter(event_type="patient.viewed").count()
    counts = export_identified_fhir(by=clinic_admin, out=tmp_path / "f", mrns=[OLD["mrn"]])
    assert counts["Patient.ndjson"] == 1
    patient = _resources(tmp_path / "f")["Patient"][0]
    assert patient["identifier"][0]["value"] == OLD["mrn"]
    assert patient["name"][0]["family"] == OLD["family_name"]
    assert patient["birthDate"] == OLD["date_of_birth"].isoformat()
    assert AuditEvent.objects.filter(event_type="patient.viewed").count() == before + 1


def test_the_identified_command_names_what_is_wrong(
    registry: dict[str, Any], clinic_admin: Any, tmp_path: Path
) -> None:
    code = registry["old"].clinic.code
    with pytest.raises(CommandError, match="needs --clinic CODE and --by USERNAME"):
        call_command("export", "identified", "--out", str(tmp_path / "a"))
    with pytest.raises(CommandError, match="no patient with MRN NOPE"):
        call_command(
            "export", "identified", "--out", str(tmp_path / "b"), "--clinic", code,
            "--by", clinic_admin.user.username, "--patient", "NOPE",
        )  # fmt: skip
    call_command(
        "export", "identified", "--out", str(tmp_path / "c"), "--clinic", code,
        "--by", clinic_admin.user.username,
    )  # fmt: skip
    assert len(_resources(tmp_path / "c")["Patient"]) == 2


def test_the_fhir_writer_reports_progress_that_adds_up_to_what_it_wrote(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    context = build_context(clinic_ids=[registry["old"].clinic_id], identified=False)
    reported: list[int] = []
    counts = write_fhir(context, tmp_path, update=reported.append)
    assert reported and all(n > 0 for n in reported)
    assert (
        sum(reported) == sum(counts.values()) == sum(len(v) for v in _resources(tmp_path).values())
    )


def test_the_command_says_how_the_fhir_resources_were_validated(
    registry: dict[str, Any], tmp_path: Path
) -> None:
    code = registry["old"].clinic.code
    for mode in ("shapes", "all"):
        out = io.StringIO()
        call_command(
            "export", "deidentified", "--format", "fhir", "--clinic", code,
            "--out", str(tmp_path / mode), "--validate", mode, stdout=out,
        )  # fmt: skip
        found = re.search(
            r"validated (\d+) FHIR resources .*: (\d+) with the full model", out.getvalue()
        )
        assert found is not None, out.getvalue()
        total = sum(len(v) for v in _resources(tmp_path / mode).values())
        assert int(found[1]) == total
        assert (int(found[2]) == total) == (mode == "all")
