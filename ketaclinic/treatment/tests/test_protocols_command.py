"""``ketaclinic protocols export`` and ``import``: protocols as files between clinics."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.treatment.domain.library import IV_RACEMIC_DEPRESSION
from ketaclinic.treatment.domain.protocol_json import protocol_to_dict
from ketaclinic.treatment.models import Protocol, ProtocolVersion


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("protocols", *args, stdout=out)
    return out.getvalue()


def _file(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "protocol.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_a_shipped_protocol_exports_with_its_own_field_names(db) -> None:
    data = json.loads(_run("export", "iv_racemic_depression"))
    assert data["code"] == "iv_racemic_depression" and data["route"] == "iv_infusion"
    assert {k: data["dose"][k] for k in ("basis", "usual", "minimum", "maximum", "cap")} == {
        "basis": "mg_per_kg",
        "usual": "0.5",
        "minimum": "0.1",
        "maximum": "0.75",
        "cap": "1.0",
    }


def test_export_then_import_makes_the_same_protocol_in_another_clinic(
    clinic_admin, tmp_path
) -> None:
    path = _file(tmp_path, json.loads(_run("export", "iv_racemic_crps")))
    out = _run("import", path, "--clinic", clinic_admin.clinic.code)
    assert "iv_racemic_crps version 1 created" in out
    version = ProtocolVersion.objects.get(family__clinic=clinic_admin.clinic)
    assert version.data == json.loads(Path(path).read_text(encoding="utf-8"))
    assert AuditEvent.objects.filter(
        event_type=EventType.PROTOCOL_CREATED, actor_id=clinic_admin.user_id
    ).exists()
    # Round trip: the clinic's protocol exports as it was imported.
    again = json.loads(_run("export", "iv_racemic_crps", "--clinic", clinic_admin.clinic.code))
    assert again == version.data


def test_importing_a_changed_file_makes_a_new_version(clinic_admin, tmp_path) -> None:
    data = protocol_to_dict(IV_RACEMIC_DEPRESSION)
    _run("import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code)
    data["dose"]["maximum"] = "0.6"
    out = _run(
        "import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code,
        "--change-note", "Network range",
    )  # fmt: skip
    assert "version 2 created" in out
    latest = ProtocolVersion.objects.order_by("-number").first()
    assert latest is not None and latest.change_note == "Network range"


def test_an_import_above_a_ceiling_changes_nothing_and_names_the_field_and_limit(
    clinic_admin, tmp_path
) -> None:
    data = protocol_to_dict(IV_RACEMIC_DEPRESSION)
    data["code"] = "iv_fast"
    data["dose"].update(usual="56", minimum="56", maximum="84", cap="84")
    with pytest.raises(CommandError) as exc:
        _run("import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code)
    message = str(exc.value)
    assert "nothing changed" in message
    assert "dose.cap: 84 mg/kg" in message and "at most 1.0 mg/kg per session" in message
    assert not Protocol.objects.exists()


def test_an_import_of_a_malformed_file_names_the_field(clinic_admin, tmp_path) -> None:
    data = protocol_to_dict(IV_RACEMIC_DEPRESSION)
    data["dose"]["cap"] = 1.0  # a binary float: doses are strings
    with pytest.raises(CommandError, match=r"dose\.cap"):
        _run("import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code)
    data["dose"]["cap"] = "1.0"
    data["route"] = "intrathecal"
    with pytest.raises(CommandError, match="route"):
        _run("import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code)
    assert not Protocol.objects.exists()


def test_an_import_applies_the_web_forms_code_rule(clinic_admin, tmp_path) -> None:
    data = protocol_to_dict(IV_RACEMIC_DEPRESSION)
    data["code"] = "not a slug!"
    with pytest.raises(CommandError, match="code: letters, digits"):
        _run("import", _file(tmp_path, data), "--clinic", clinic_admin.clinic.code)


def test_an_import_needs_a_member_who_manages_protocols(nurse, clinic_admin, tmp_path) -> None:
    path = _file(tmp_path, protocol_to_dict(IV_RACEMIC_DEPRESSION))
    with pytest.raises(CommandError, match="--as"):
        _run("import", path, "--clinic", clinic_admin.clinic.code, "--as", nurse.user.username)
    with pytest.raises(CommandError, match="--clinic"):
        _run("import", path, "--clinic", "nowhere")


def test_exporting_an_unknown_code_names_the_shipped_ones(db) -> None:
    with pytest.raises(CommandError, match="esketamine_trd"):
        _run("export", "iv_56")
