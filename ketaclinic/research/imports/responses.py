"""``ketaclinic import responses FILE.csv --clinic CODE --by USERNAME [--skip-invalid]``.

Columns ``mrn, scale, taken_at, item_1 ... item_n``: each row is scored by the pure scales scoring
registry (``scales.score``: answer ranges, required items, the total), so a historical response
meets the same rules as one entered on the page. ``scale`` is a scale's code (``phq9``; case,
hyphens and spaces do not matter: ``PHQ-9``). ``taken_at`` is ``YYYY-MM-DD HH:MM`` in the clinic's
time zone or ISO 8601 with an offset. Plausibility: ``taken_at`` may not be in the future (an
answer cannot describe a time that has not come) nor before the patient's date of birth (the
registry's ``not_before_birth`` rule for every clinical date). An empty item cell is an unanswered
item (None), never 0.

Imported responses are marked historical (``research.ImportedResponse``, linked to the batch) and
raise no alerts: they describe the past. A row equal to a response already in the clinic (patient,
scale, time) is not imported again ("already imported" when an interrupted run of this file wrote
it); the same patient, scale and time twice in the file is an error on the second row. Written in
chunks as patients are (see ``patients``): one transaction, one audit event and the batch's
progress per chunk, the chunk's keys looked up again inside it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient
from ketaclinic.research.imports.common import (
    CHUNK,
    WHOLE_ROW,
    AfterChunk,
    ImportFileError,
    ImportResult,
    NoProgress,
    Progress,
    RowProblem,
    file_sha256,
    finish_batch,
    keep_rejects,
    lock_clinic_imports,
    open_batch,
    read_rows,
    resume_point,
)
from ketaclinic.research.imports.rows import Inserter
from ketaclinic.research.models import ImportBatch, ImportedResponse, ImportKind
from ketaclinic.scales import CODES, ScaleInputError, get_definition, score
from ketaclinic.scales.models import ResponseSource, ResponseStatus, ScaleResponse

COLUMNS = ("mrn", "scale", "taken_at")
_INTEGER = re.compile(r"-?[0-9]{1,3}")  # ASCII digits only: "¹" or "٣" are not answers
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
_ITEM = re.compile(r"item_([0-9]+)")
_SCALES = {code.replace("_", ""): code for code in CODES}
_SCALES_ALLOWED = ", ".join(sorted(CODES))


def _scale_code(text: str) -> str | None:
    return _SCALES.get(re.sub(r"[\s_-]", "", text.casefold()))


def _taken_at(text: str, tz: tzinfo) -> datetime | None:
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


def _answers(
    number: int, row: dict[str, str], n: int, columns: tuple[tuple[str, int], ...] | None = None
) -> tuple[list[int | None], list[RowProblem]]:
    """The ``n`` answers of a row and the problems of its item cells. ``columns``: the file's
    item columns with their numbers (found from the row when not given)."""
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
    if columns is None:
        columns = _item_columns(list(row))
    problems.extend(
        RowProblem(number, c, f"this scale has only {n} items")
        for c, i in columns
        if i > n and row.get(c)
    )
    return answers, problems


def _item_columns(header: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple(
        (c, int(m.group(1))) for c in header if (m := _ITEM.fullmatch(c)) and m.group(1).isascii()
    )


class CheckedResponse(NamedTuple):
    number: int
    patient_id: UUID
    code: str
    answers: list[int | None]
    effective_at: datetime
    total: float | None
    band: str
    subscores: dict[str, Any]
    flags: list[str]


def _check_row(
    number: int,
    row: dict[str, str],
    patient: tuple[UUID, date] | None,
    now: datetime,
    tz: tzinfo,
    *,
    columns: tuple[tuple[str, int], ...],
) -> tuple[CheckedResponse | None, list[RowProblem]]:
    """The checked response of one row, or the row's problems (each naming its column)."""
    problems: list[RowProblem] = []
    if WHOLE_ROW in row:
        problems.append(RowProblem(number, WHOLE_ROW, row[WHOLE_ROW]))
    if patient is None:
        mrn = row.get("mrn", "")
        message = "no patient of this clinic has this MRN" if mrn else "required; the cell is empty"
        problems.append(RowProblem(number, "mrn", message))
    text = row.get("scale", "")
    code = _scale_code(text)
    if code is None:
        problems.append(RowProblem(number, "scale", f"one of {_SCALES_ALLOWED}, not {text!r}"))
    when = _taken_at(row.get("taken_at", ""), tz)
    if when is None:
        problems.append(
            RowProblem(number, "taken_at", "a time as YYYY-MM-DD HH:MM (clinic time) or ISO 8601")
        )
    elif when > now:
        problems.append(RowProblem(number, "taken_at", "cannot be in the future"))
    elif patient is not None and when.astimezone(tz).date() < patient[1]:
        problems.append(RowProblem(number, "taken_at", "is before the patient's date of birth"))
    if code is None or when is None:
        return None, problems
    definition = get_definition(code)
    answers, item_problems = _answers(number, row, len(definition.items), columns)
    problems.extend(item_problems)
    if item_problems:
        return None, problems
    try:
        scored = score(code, answers)
    except ScaleInputError as error:
        problems.append(RowProblem(number, "items", str(error)))
    if problems or patient is None:
        return None, problems
    checked = CheckedResponse(
        number, patient[0], code, answers, when, scored.total, scored.band or "",
        dict(scored.subscores), list(scored.flags),
    )  # fmt: skip
    return checked, []


def import_responses(
    *,
    by: Membership,
    path: Path,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    after_chunk: AfterChunk | None = None,
    chunk_size: int = CHUNK,
) -> ImportResult:
    if not by.can(Perm.SCALE_RECORD):
        raise ImportFileError("importing scale responses needs a role that records scales")
    progress = progress or NoProgress()
    header, rows = read_rows(path, COLUMNS, prefix="item_")
    bad = [c for c in header if c.startswith("item_") and not _ITEM.fullmatch(c)]
    if bad:
        raise ImportFileError(f"{path.name}: unknown column(s) {', '.join(bad)}")
    columns = _item_columns(header)
    sha256 = file_sha256(path)
    resumed_after, resumed_from = resume_point(by=by, kind=ImportKind.RESPONSES, sha256=sha256)
    now = timezone.now()
    tz = by.clinic.tzinfo
    patients = {
        mrn: (pk, born)
        for mrn, pk, born in Patient.objects.filter(clinic_id=by.clinic_id).values_list(
            "mrn", "pk", "date_of_birth"
        )
    }
    result = ImportResult(resumed_from=resumed_from)
    valid: list[CheckedResponse] = []
    rejected: list[tuple[int, dict[str, str]]] = []
    seen: dict[tuple[UUID, str, datetime], int] = {}
    progress.start("checking", None)
    for number, row in rows:
        patient = patients.get(row.get("mrn", ""))
        checked, problems = _check_row(number, row, patient, now, tz, columns=columns)
        if checked is not None:
            key = (checked.patient_id, checked.code, checked.effective_at)
            first = seen.setdefault(key, number)
            if first != number:
                problems.append(
                    RowProblem(
                        number, "taken_at", f"the same patient, scale and time as row {first}"
                    )
                )
            else:
                valid.append(checked)
        if problems:
            result.problems.extend(problems)
            rejected.append((number, row))
        progress.advance(1)
    if result.problems and not skip_invalid:
        return result
    keep_rejects(result, path=path, rejects=rejects, header=header, rejected=rejected)
    batch, _ = open_batch(by=by, kind=ImportKind.RESPONSES, sha256=sha256)
    progress.start("importing", len(valid))
    for start in range(0, len(valid), chunk_size):
        chunk = valid[start : start + chunk_size]
        new, earlier = _write_chunk(by, batch, chunk, now)
        result.imported += new
        result.already_imported += sum(1 for number in earlier if number <= resumed_after)
        result.already_there += sum(1 for number in earlier if number > resumed_after)
        progress.advance(len(chunk))
        if after_chunk is not None:
            after_chunk(chunk[-1].number)
    finish_batch(batch, skipped=result.skipped, rejected=len(rejected))
    return result


_RESPONSE_GIVEN = (
    "clinic_id", "patient_id", "code", "scale_version", "answers", "total", "band", "subscores",
    "flags", "effective_at", "recorded_at", "recorded_by_id", "source", "status",
)  # fmt: skip


@transaction.atomic
def _write_chunk(
    by: Membership, batch: ImportBatch, chunk: list[CheckedResponse], now: datetime
) -> tuple[int, list[int]]:
    """Writes the chunk's responses not yet in the clinic; (written, row numbers already there)."""
    lock_clinic_imports(by.clinic_id)
    existing = set(
        # By the patient index (patient, code, time): the patients are this clinic's already, and
        # a clinic_id condition would make SQLite walk the clinic's whole outcome index per chunk.
        ScaleResponse.objects.filter(
            patient_id__in={c.patient_id for c in chunk},
            code__in={c.code for c in chunk},
            effective_at__in={c.effective_at for c in chunk},
        ).values_list("patient_id", "code", "effective_at")
    )
    new = [c for c in chunk if (c.patient_id, c.code, c.effective_at) not in existing]
    versions = {code: get_definition(code).version for code in {c.code for c in new}}
    pks = Inserter(ScaleResponse, _RESPONSE_GIVEN).insert_returning_pks(
        [
            (
                by.clinic_id, c.patient_id, c.code, versions[c.code], c.answers, c.total, c.band,
                c.subscores, c.flags, c.effective_at, now, by.user_id, ResponseSource.CLINIC,
                ResponseStatus.FINAL,
            )
            for c in new
        ]
    )  # fmt: skip
    Inserter(ImportedResponse, ("response_id", "batch_id")).insert([(pk, batch.pk) for pk in pks])
    if pks:
        audit_record(
            event_type=EventType.SCALE_RESPONSE_RECORDED,
            actor=by,
            reason="Historical responses imported from a CSV file",
            extra={"response_ids": pks, "batch_id": batch.pk},
        )
    ImportBatch.objects.filter(pk=batch.pk).update(
        last_row=chunk[-1].number, rows_imported=F("rows_imported") + len(pks)
    )
    return len(pks), [c.number for c in chunk if (c.patient_id, c.code, c.effective_at) in existing]
