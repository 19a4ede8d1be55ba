"""``ketaclinic import responses FILE.csv --clinic CODE --by USERNAME [--skip-invalid]``.

Columns ``mrn, scale, taken_at, item_1 ... item_n``: each row is scored by the scales scoring
registry (``scales.score``: answer ranges, required items, the total), so a historical response
meets the same rules as one entered on the page. ``taken_at`` is ``YYYY-MM-DD HH:MM`` in the
clinic's time zone or ISO 8601 with an offset; it may not be in the future or before the patient's
birth. An empty item cell is an unanswered item (None), never 0.

Imported responses are marked historical (``research.ImportedResponse``) and raise no alerts: they
describe the past. A row equal to a response already in the clinic (patient, scale, time) is
skipped, so a re-run imports nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient
from ketaclinic.research.imports.common import (
    CHUNK,
    ImportFileError,
    ImportResult,
    RowProblem,
    read_rows,
    write_rejects,
)
from ketaclinic.research.models import ImportBatch, ImportedResponse, ImportKind
from ketaclinic.scales import CODES, ScaleInputError, get_definition, score
from ketaclinic.scales.models import ResponseSource, ResponseStatus, ScaleResponse

COLUMNS = ("mrn", "scale", "taken_at")
_INTEGER = re.compile(r"-?[0-9]{1,3}")  # ASCII digits only: "¹" or "٣" are not answers
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


def _taken_at(text: str, tz: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware just below
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _answers(number: int, row: dict[str, str], n: int) -> tuple[list[int | None], list[RowProblem]]:
    answers: list[int | None] = []
    problems = []
    for i in range(1, n + 1):
        cell = row.get(f"item_{i}", "")
        if cell == "":
            answers.append(None)
        elif _INTEGER.fullmatch(cell):
            answers.append(int(cell))
        else:
            answers.append(None)
            problems.append(RowProblem(number, f"item_{i}", f"a whole number, not {cell!r}"))
    extra = [
        k
        for k, v in row.items()
        if k.startswith("item_") and v and k[5:].isascii() and k[5:].isdigit() and int(k[5:]) > n
    ]
    problems.extend(RowProblem(number, k, f"this scale has only {n} items") for k in extra)
    return answers, problems


def _check_row(
    by: Membership,
    number: int,
    row: dict[str, str],
    patient: tuple[UUID, date] | None,
    now: datetime,
) -> tuple[ScaleResponse | None, list[RowProblem]]:
    """The unsaved response of one row, or the row's problems (each naming its column)."""
    tz = by.clinic.tzinfo
    problems: list[RowProblem] = []
    if patient is None:
        problems.append(RowProblem(number, "mrn", f"no patient with MRN {row['mrn']!r} here"))
    code = row["scale"]
    if code not in CODES:
        problems.append(
            RowProblem(number, "scale", f"{code!r} is not one of {', '.join(sorted(CODES))}")
        )
    when = _taken_at(row["taken_at"], tz)
    if when is None:
        problems.append(
            RowProblem(number, "taken_at", "a time as YYYY-MM-DD HH:MM (clinic time) or ISO 8601")
        )
    elif when > now:
        problems.append(RowProblem(number, "taken_at", "cannot be in the future"))
    elif patient is not None and when.astimezone(tz).date() < patient[1]:
        problems.append(RowProblem(number, "taken_at", "is before the patient's birth"))
    response = None
    if code in CODES and when is not None:
        definition = get_definition(code)
        answers, item_problems = _answers(number, row, len(definition.items))
        problems.extend(item_problems)
        if not item_problems:
            try:
                scored = score(code, answers)
            except ScaleInputError as error:
                problems.append(RowProblem(number, "items", str(error)))
            else:
                response = ScaleResponse(
                    clinic_id=by.clinic_id, code=code, scale_version=definition.version,
                    answers=answers, total=scored.total, band=scored.band or "",
                    subscores=dict(scored.subscores), flags=list(scored.flags),
                    effective_at=when, recorded_at=now, recorded_by_id=by.user_id,
                    source=ResponseSource.CLINIC, status=ResponseStatus.FINAL,
                )  # fmt: skip
    return (None if problems else response), problems


def import_responses(
    *,
    by: Membership,
    path: Path,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    tick: Callable[[int], Any] | None = None,
) -> ImportResult:
    if not by.can(Perm.SCALE_RECORD):
        raise ImportFileError("importing scale responses needs a role that records scales")
    header, rows = read_rows(path, COLUMNS, prefix="item_")
    now = timezone.now()
    patients = {
        mrn: (pk, born)
        for mrn, pk, born in Patient.objects.filter(clinic_id=by.clinic_id).values_list(
            "mrn", "pk", "date_of_birth"
        )
    }
    result = ImportResult()
    valid: list[ScaleResponse] = []
    rejected: list[tuple[int, dict[str, str]]] = []
    seen: set[tuple[UUID, str, datetime]] = set()
    for number, row in rows:
        patient = patients.get(row["mrn"])
        response, problems = _check_row(by, number, row, patient, now)
        if problems or response is None or patient is None:
            result.problems.extend(problems)
            rejected.append((number, row))
        else:
            response.patient_id = patient[0]
            key = (patient[0], response.code, response.effective_at)
            if key in seen:
                result.skipped += 1
            else:
                seen.add(key)
                valid.append(response)
        if tick is not None:
            tick(1)
    if result.problems and not skip_invalid:
        return result
    if rejected:
        result.rejects_file = rejects or path.with_name(path.stem + ".rejects.csv")
        write_rejects(result.rejects_file, header, rejected, result.problems)
    batch = ImportBatch.objects.create(
        clinic_id=by.clinic_id, kind=ImportKind.RESPONSES, imported_by_id=by.user_id,
        started_at=now, rows_rejected=len(rejected),
    )  # fmt: skip
    for start in range(0, len(valid), CHUNK):
        imported, skipped = _write_chunk(by, batch, valid[start : start + CHUNK])
        result.imported += imported
        result.skipped += skipped
    batch.rows_imported = result.imported
    batch.rows_skipped = result.skipped
    batch.save(update_fields=["rows_imported", "rows_skipped"])
    return result


@transaction.atomic
def _write_chunk(by: Membership, batch: ImportBatch, chunk: list[ScaleResponse]) -> tuple[int, int]:
    existing = set(
        ScaleResponse.objects.filter(
            clinic_id=by.clinic_id,
            patient_id__in={r.patient_id for r in chunk},
            effective_at__in={r.effective_at for r in chunk},
        ).values_list("patient_id", "code", "effective_at")
    )
    new = [r for r in chunk if (r.patient_id, r.code, r.effective_at) not in existing]
    ScaleResponse.objects.bulk_create(new)
    ImportedResponse.objects.bulk_create(
        [ImportedResponse(response_id=r.pk, batch=batch) for r in new]
    )
    if new:
        audit_record(
            event_type=EventType.SCALE_RESPONSE_RECORDED,
            actor=by,
            reason="Historical responses imported from a CSV file",
            extra={"response_ids": [r.pk for r in new], "batch_id": batch.pk},
        )
    return len(new), len(chunk) - len(new)
