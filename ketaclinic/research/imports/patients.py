"""``ketaclinic import patients FILE.csv --clinic CODE --by USERNAME [--skip-invalid]``.

Every row passes the registry's rules (``patient_rules``). Across rows and against the clinic:

- an MRN twice in the file is an error on the second row;
- a row whose MRN is already in the clinic for the same person (same name, in any case and with or
  without accents, and the same date of birth) is not imported again: "already imported" when an
  interrupted run of this file wrote it, "already in the clinic" otherwise; for another person it
  is an error (the MRN belongs to someone else);
- a new MRN with the name and date of birth of a patient already in the clinic, or of an earlier
  row, is a likely duplicate (as on the registration page) and an error unless the optional
  ``different_person`` column says ``yes``.

Without ``--skip-invalid`` nothing is imported while any row is invalid. Then the valid rows are
written in chunks of ``CHUNK``: each chunk is one transaction with one ``bulk_create`` of the
patients, one of their weights, one audit event listing the new patient ids (ids only:
audit/policy.py) and the batch's progress (``ImportBatch.last_row``), so a run killed between or
inside chunks leaves whole chunks only, and the next run of the same file resumes the batch. The
MRNs of each chunk are looked up again inside its transaction (one query), so a patient registered
meanwhile is skipped, never duplicated.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients import rules
from ketaclinic.patients.models import MeasuredAtFilled, Patient, WeightMeasurement
from ketaclinic.research.imports.common import (
    CHUNK,
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
from ketaclinic.research.imports.patient_rules import (
    COLUMNS,
    OPTIONAL,
    WRITTEN,
    CheckedPatient,
    PatientRowRules,
)
from ketaclinic.research.imports.rows import Inserter
from ketaclinic.research.models import ImportBatch, ImportKind

# A person in the clinic: (name key, date of birth) -> MRN.
_Person = tuple[str, Any]


class _AgainstClinic:
    """The checks across rows and against the clinic's patients (loaded in one query)."""

    def __init__(self, clinic_id: int, resumed_after: int, result: ImportResult) -> None:
        self.resumed_after = resumed_after
        self.result = result
        self.by_mrn: dict[str, _Person] = {}
        self.by_person: dict[_Person, str] = {}
        for mrn, given, family, born in Patient.objects.filter(clinic_id=clinic_id).values_list(
            "mrn", "given_name", "family_name", "date_of_birth"
        ):
            person = (rules.search_key(given, family), born)
            self.by_mrn[mrn] = person
            self.by_person.setdefault(person, mrn)
        self.seen_mrn: dict[str, int] = {}
        self.seen_person: dict[_Person, int] = {}

    def check(
        self, number: int, mrn: str, checked: CheckedPatient | None, problems: list[RowProblem]
    ) -> bool:
        """Adds the row's problems; True when the row is a new patient to write."""
        first = self.seen_mrn.setdefault(mrn, number)
        if mrn and first != number:
            problems.append(RowProblem(number, "mrn", f"the same MRN is also on row {first}"))
        if checked is None or problems:
            return False
        person = (checked.name_key, checked.fields["date_of_birth"])
        known = self.by_mrn.get(mrn)
        if known is not None:
            if known != person:
                problems.append(
                    RowProblem(
                        number,
                        "mrn",
                        "this MRN belongs to another patient of this clinic "
                        "(a different name or date of birth)",
                    )
                )
            elif number <= self.resumed_after:
                self.result.already_imported += 1
            else:
                self.result.already_there += 1
            return False
        earlier = self.by_person.get(person)
        first_row = self.seen_person.setdefault(person, number)
        if checked.different_person or not (earlier or first_row != number):
            return True
        where = "a patient of this clinic" if earlier else f"row {first_row}"
        problems.append(
            RowProblem(
                number,
                "different_person",
                f"the same name and date of birth as {where}; "
                "if this is another person, put yes in a different_person column",
            )
        )
        return False


def import_patients(
    *,
    by: Membership,
    path: Path,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    progress: Progress | None = None,
    after_chunk: AfterChunk | None = None,
    chunk_size: int = CHUNK,
) -> ImportResult:
    if not by.can(Perm.PATIENT_REGISTER):
        raise ImportFileError("importing patients needs a role that registers patients")
    progress = progress or NoProgress()
    header, rows = read_rows(path, COLUMNS, OPTIONAL)
    sha256 = file_sha256(path)
    resumed_after, resumed_from = resume_point(by=by, kind=ImportKind.PATIENTS, sha256=sha256)
    result = ImportResult(resumed_from=resumed_from)
    clinic = by.clinic
    checker = PatientRowRules(
        today=timezone.now().astimezone(clinic.tzinfo).date(), country=clinic.country
    )
    against = _AgainstClinic(by.clinic_id, resumed_after, result)
    valid: list[CheckedPatient] = []
    rejected: list[tuple[int, dict[str, str]]] = []
    progress.start("checking", None)
    for number, row in rows:
        checked, problems = checker.check(number, row)
        if against.check(number, row.get("mrn", ""), checked, problems) and checked:
            valid.append(checked)
        if problems:
            result.problems.extend(problems)
            rejected.append((number, row))
        progress.advance(1)
    if result.problems and not skip_invalid:
        return result
    keep_rejects(result, path=path, rejects=rejects, header=header, rejected=rejected)
    batch, _ = open_batch(by=by, kind=ImportKind.PATIENTS, sha256=sha256)
    progress.start("importing", len(valid))
    for start in range(0, len(valid), chunk_size):
        chunk = valid[start : start + chunk_size]
        imported, raced = _write_chunk(by, batch, chunk)
        result.imported += imported
        result.already_there += raced
        progress.advance(len(chunk))
        if after_chunk is not None:
            after_chunk(chunk[-1].number)
    finish_batch(batch, skipped=result.skipped, rejected=len(rejected))
    return result


_PATIENT_GIVEN = ("id", "clinic_id", "created_at", "updated_at", *WRITTEN)
_WEIGHT_GIVEN = (
    "patient_id", "recorded_by_id", "recorded_at", "measured_at", "weight_kg", "entered_value",
    "entered_unit", "measured_at_filled",
)  # fmt: skip


@transaction.atomic
def _write_chunk(
    by: Membership, batch: ImportBatch, chunk: list[CheckedPatient]
) -> tuple[int, int]:
    """Writes the chunk's patients that are still new; (written, found registered meanwhile)."""
    lock_clinic_imports(by.clinic_id)
    now = timezone.now()
    taken = set(
        Patient.objects.filter(
            clinic_id=by.clinic_id, mrn__in=[c.fields["mrn"] for c in chunk]
        ).values_list("mrn", flat=True)
    )
    new = [c for c in chunk if c.fields["mrn"] not in taken]
    ids = [uuid.uuid4() for _ in new]
    Inserter(Patient, _PATIENT_GIVEN).insert(
        [
            (pk, by.clinic_id, now, now, *(c.fields[f] for f in WRITTEN))
            for pk, c in zip(ids, new, strict=True)
        ]
    )
    tz = by.clinic.tzinfo
    Inserter(WeightMeasurement, _WEIGHT_GIVEN).insert(
        [
            (pk, by.user_id, now, at, c.weight_kg, c.weight_kg, "kg", filled)
            for pk, c in zip(ids, new, strict=True)
            for at, filled in [_weight_time(c, now, tz)]
            if c.weight_kg is not None
        ]
    )
    if ids:
        audit_record(
            event_type=EventType.PATIENT_CREATED,
            actor=by,
            reason="Imported from a CSV file",
            extra={"patient_ids": [str(pk) for pk in ids], "batch_id": batch.pk},
        )
    ImportBatch.objects.filter(pk=batch.pk).update(
        last_row=chunk[-1].number, rows_imported=F("rows_imported") + len(ids)
    )
    return len(ids), len(chunk) - len(ids)


def _weight_time(c: CheckedPatient, now: dt.datetime, tz: dt.tzinfo) -> tuple[dt.datetime, str]:
    """(measured_at, what was filled in): the file's date at the start of that day in the
    clinic's time zone (the time of day filled), else the import's time (the date filled too)."""
    if c.weight_measured_on is None:
        return now, MeasuredAtFilled.IMPORT_TIME.value
    start = dt.datetime.combine(c.weight_measured_on, dt.time(0, 0), tzinfo=tz)
    return start.astimezone(dt.UTC), MeasuredAtFilled.FILE_DATE.value
