"""One export run: every table written into a hidden work folder beside ``out``, which is renamed to
``out`` only when every table is complete. An interrupted run leaves no half-written export; a new
run throws the stale work folder away and starts again, so nothing is ever duplicated."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from django.db import transaction
from tqdm import tqdm

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient
from ketaclinic.research.export.context import build_context
from ketaclinic.research.export.fhir_writer import write_fhir
from ketaclinic.research.export.tables import TABLES
from ketaclinic.research.export.writers import write_csv, write_parquet

FORMATS = ("csv", "parquet", "fhir")


class ExportError(Exception):
    pass


def _work_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.partial")


def _start(out: Path) -> Path:
    if out.exists():
        raise ExportError(f"{out} already exists: choose a new folder (an export never overwrites)")
    work = _work_dir(out)
    if work.exists():
        shutil.rmtree(work)  # a previous run stopped half-way: start again, no duplicates
    work.mkdir(parents=True)
    return work


def _finish(work: Path, out: Path, manifest: dict[str, Any]) -> None:
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    work.rename(out)


def export_identified_fhir(
    *, by: Membership, out: Path, mrns: list[str] | None = None, progress: bool | None = None
) -> dict[str, int]:
    """Identified FHIR NDJSON of ``by``'s clinic (or the patients with ``mrns``), to move patients
    to another clinic's system. Clinic admins only; each exported patient gets a read event."""
    if not by.can(Perm.CLINIC_MANAGE):
        raise ExportError("only a clinic admin may export identified records")
    patients = Patient.objects.filter(clinic_id=by.clinic_id)
    if mrns:
        patients = patients.filter(mrn__in=mrns)
        missing = sorted(set(mrns) - set(patients.values_list("mrn", flat=True)))
        if missing:
            raise ExportError(f"--patient: no patient with MRN {', '.join(missing)} in the clinic")
    patient_ids = list(patients.values_list("pk", flat=True))
    work = _start(out)
    show = sys.stderr.isatty() if progress is None else progress
    context = build_context(clinic_ids=[by.clinic_id], identified=True, patient_ids=patient_ids)
    counts = write_fhir(context, work, show=show)
    with transaction.atomic():
        for patient_id in patient_ids:
            audit_record(
                event_type=EventType.PATIENT_VIEWED,
                actor=by,
                patient_id=patient_id,
                reason="Identified FHIR export",
            )
    _finish(work, out, {"format": "fhir", "identified": True, "files": counts})
    return counts


def export_deidentified(
    *, clinic_ids: list[int], out: Path, fmt: str = "csv", progress: bool | None = None
) -> dict[str, int]:
    """Write the de-identified tables (or FHIR NDJSON files) of ``clinic_ids`` into ``out``.

    Returns the number of rows (or resources) per file. ``out`` must not exist yet."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    work = _start(out)
    show = sys.stderr.isatty() if progress is None else progress
    counts: dict[str, int] = {}
    if fmt == "fhir":
        context = build_context(clinic_ids=clinic_ids, identified=False)
        counts = write_fhir(context, work, show=show)
    else:
        context = build_context(clinic_ids=clinic_ids)
        writer = write_csv if fmt == "csv" else write_parquet
        for table in TABLES:
            with tqdm(desc=table.name, unit=" rows", disable=not show, file=sys.stderr) as bar:
                path = work / f"{table.name}.{fmt}"
                counts[path.name] = writer(table, table.rows(context), path, bar.update)
    manifest: dict[str, Any] = {
        "format": fmt,
        "deidentification": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2); see docs/data-dictionary.md",
        "files": counts,
    }
    _finish(work, out, manifest)
    return counts
