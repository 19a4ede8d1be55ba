"""One export run: every table written into a hidden work folder beside ``out``, which is renamed to
``out`` only when every table is complete. An interrupted run leaves no half-written export; a new
run throws the stale work folder away and starts again, so nothing is ever duplicated.

``on_progress(done, total)``, when given, hears the rows (or resources) written so far and the
estimated total (counted before the first table; ``None`` while unknown), after every batch; the
caller decides how often to pass it on (the background export writes it every couple of seconds).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count
from tqdm import tqdm

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Diagnosis, Patient, RecordStatus
from ketaclinic.research.export.context import ExportContext, build_context
from ketaclinic.research.export.fhir_writer import write_fhir
from ketaclinic.research.export.tables import TABLES
from ketaclinic.research.export.writers import write_csv, write_parquet
from ketaclinic.scales import get_definition
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.screening.models import EligibilityDecision
from ketaclinic.treatment.models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    Observation,
    TreatmentSession,
)

FORMATS = ("csv", "parquet", "fhir")

Progress = Callable[[int, "int | None"], None]


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


class _Counter:
    """Rows written so far, passed on to ``on_progress`` after every batch."""

    def __init__(self, on_progress: Progress | None, total: int | None) -> None:
        self.on_progress = on_progress
        self.total = total
        self.done = 0
        self.tell()

    def tell(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def update(self, n: int) -> None:
        self.done += n
        self.tell()


def _estimate(ctx: ExportContext, fmt: str) -> int:
    """About how many rows (or FHIR resources) the export will write: a few COUNT queries."""
    clinics = ctx.clinic_ids
    patients = Patient.objects.filter(clinic_id__in=clinics, **ctx.patient_filter).count()
    sessions = TreatmentSession.objects.filter(clinic_id__in=clinics, **ctx.related_filter)
    in_sessions = {"session__clinic_id__in": clinics, **ctx.session_related_filter}
    vitals = Observation.objects.filter(**in_sessions).exclude(code__in=["note", "iv_site"])
    doses = DoseAdministration.objects.filter(**in_sessions).count()
    events = AdverseEvent.objects.filter(**in_sessions).count()
    by_scale: list[tuple[str, int]] = list(
        ScaleResponse.objects.filter(clinic_id__in=clinics, **ctx.related_filter)
        .values_list("code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    responses = sum(n for _code, n in by_scale)
    common = patients + sessions.count() + vitals.count() + doses + events + responses
    if fmt == "fhir":
        conditions = Diagnosis.objects.filter(
            patient__clinic_id__in=clinics, status=RecordStatus.ACTIVE, **ctx.related_filter
        ).count()
        return int(common + responses + conditions)  # about one score Observation per response
    items = sum(n * len(get_definition(code).items) for code, n in by_scale)
    courses = Course.objects.filter(clinic_id__in=clinics).count()
    decisions = EligibilityDecision.objects.filter(screening__clinic_id__in=clinics).count()
    return int(common + items + courses + decisions)


def export_identified_fhir(
    *,
    by: Membership,
    out: Path,
    mrns: list[str] | None = None,
    progress: bool | None = None,
    on_progress: Progress | None = None,
    reads_once: Callable[[], bool] | None = None,
) -> dict[str, int]:
    """Identified FHIR NDJSON of ``by``'s clinic (or the patients with ``mrns``), to move patients
    to another clinic's system. Clinic admins only; each exported patient gets a read event.

    ``reads_once``, called inside the transaction of those events, returns False when an earlier
    attempt of the same background export already wrote them (a retry writes them once only)."""
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
    counter = _Counter(on_progress, _estimate(context, "fhir") if on_progress else None)
    counts = write_fhir(context, work, show=show, update=counter.update)
    with transaction.atomic():
        for patient_id in patient_ids if reads_once is None or reads_once() else []:
            audit_record(
                event_type=EventType.PATIENT_VIEWED,
                actor=by,
                patient_id=patient_id,
                reason="Identified FHIR export",
            )
    _finish(work, out, {"format": "fhir", "identified": True, "files": counts})
    return counts


def export_deidentified(
    *,
    clinic_ids: list[int],
    out: Path,
    fmt: str = "csv",
    progress: bool | None = None,
    on_progress: Progress | None = None,
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
        counter = _Counter(on_progress, _estimate(context, fmt) if on_progress else None)
        counts = write_fhir(context, work, show=show, update=counter.update)
    else:
        context = build_context(clinic_ids=clinic_ids)
        counter = _Counter(on_progress, _estimate(context, fmt) if on_progress else None)
        writer = write_csv if fmt == "csv" else write_parquet
        for table in TABLES:
            with tqdm(desc=table.name, unit=" rows", disable=not show, file=sys.stderr) as bar:

                def tick(n: int, bar: Any = bar) -> None:
                    bar.update(n)
                    counter.update(n)

                path = work / f"{table.name}.{fmt}"
                counts[path.name] = writer(table, table.rows(context), path, tick)
                counter.tell()  # a table's end is a batch boundary too (a cancel stops here)
    manifest: dict[str, Any] = {
        "format": fmt,
        "deidentification": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2); see docs/data-dictionary.md",
        "files": counts,
    }
    _finish(work, out, manifest)
    return counts
