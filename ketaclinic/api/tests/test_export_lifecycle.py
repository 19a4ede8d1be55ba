"""The end of an export's life: cancelled from the exports page (the worker stops at its next
batch boundary and leaves no file), its file removed after the retention period (the record
kept, "expired", audited), and an identified export's "patient viewed" events written once
however many attempts the job takes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.api import exports as service
from ketaclinic.api.export_lifecycle import DEFAULT_RETENTION_DAYS, export_cancel, exports_expire
from ketaclinic.api.exports import EXPORT_JOB, export_start
from ketaclinic.api.models import ApiExport, ExportStatus
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import execute, job_enqueue
from ketaclinic.research.export import run as export_run
from ketaclinic.research.export.tables import TABLES
from ketaclinic.research.export.writers import write_csv

pytestmark = pytest.mark.django_db

PAGE = "/research/exports/"
ROWS = "/research/exports/list/"
CANCEL = "/research/exports/cancel/"


@pytest.fixture
def var(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def _run(export: ApiExport) -> str:
    return execute(JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk)).pk)


def _files(var: Path) -> list[Path]:
    return [p for p in (var / "api-exports").glob("*")] if (var / "api-exports").exists() else []


def test_a_researcher_cancels_a_queued_export_and_the_worker_prepares_nothing(
    researcher: Any, prescriber: Any, make_patient: Any, login: Any, var: Path
) -> None:
    make_patient(prescriber)
    client = login(researcher)
    assert client.post(PAGE, {"action": "start", "kind": "csv"}).status_code == 302
    export = ApiExport.objects.get()
    rows = client.get(ROWS).content.decode()
    assert "Cancel this export" in rows
    assert client.post(CANCEL, {"export": str(export.pk)}).status_code == 302
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED
    assert export.cancelled_by_id == researcher.user_id and export.cancelled_at is not None
    event = AuditEvent.objects.get(event_type=EventType.EXPORT_CANCELLED)
    assert event.actor_id == researcher.user_id
    assert event.extra["api_export_id"] == str(export.pk) and event.extra["was"] == "queued"

    assert _run(export).startswith("cancelled")
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED
    assert _files(var) == []
    assert not AuditEvent.objects.filter(event_type=EventType.EXPORT_DEIDENTIFIED).exists()
    page = client.get(ROWS).content.decode()
    assert "Cancelled" in page and "no file was kept" in page
    assert "Cancel this export" not in page and "Download" not in page
    link = f"/research/exports/download/?export={export.pk}"
    assert client.get(link).status_code == 409


def test_a_running_export_stops_at_its_next_batch_boundary_and_leaves_no_file(
    researcher: Any,
    prescriber: Any,
    make_patient: Any,
    var: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(2):
        make_patient(prescriber)
    export = export_start(by=researcher, kind="csv")
    tables: list[str] = []

    def cancelled_meanwhile(table: Any, rows: Any, path: Path, tick: Any = None) -> int:
        tables.append(table.name)
        if len(tables) == 2:  # another request cancels while the worker writes
            export_cancel(by=researcher, export=ApiExport.objects.get(pk=export.pk))
        return write_csv(table, rows, path, tick)

    monkeypatch.setattr(export_run, "write_csv", cancelled_meanwhile)
    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0.0)  # every batch is a boundary
    assert _run(export).startswith("cancelled")
    assert tables == [t.name for t in TABLES[:2]]  # it stopped after the table it was writing
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED
    assert _files(var) == []  # neither the work folder nor a zip
    run = JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk))
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 1  # not retried
    with pytest.raises(service.ExportNotReadyError):
        service.export_download(by=researcher, export=export)


def test_a_cancel_after_the_last_batch_still_wins_over_ready(
    researcher: Any,
    prescriber: Any,
    make_patient: Any,
    var: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_patient(prescriber)
    export = export_start(by=researcher, kind="csv")
    real_zip = service._zip

    def cancelled_while_zipping(e: ApiExport) -> int:
        export_cancel(by=researcher, export=ApiExport.objects.get(pk=e.pk))
        return real_zip(e)

    monkeypatch.setattr(service, "_zip", cancelled_while_zipping)
    assert _run(export).startswith("cancelled")
    export.refresh_from_db()
    assert export.status == ExportStatus.CANCELLED
    assert _files(var) == []
    assert not AuditEvent.objects.filter(event_type=EventType.EXPORT_DEIDENTIFIED).exists()


def test_who_may_cancel_and_what_can_no_longer_be_cancelled(
    researcher: Any,
    clinic_admin: Any,
    nurse: Any,
    outsider: Any,
    login: Any,
    var: Path,
) -> None:
    export = export_start(by=researcher, kind="csv")
    identified = export_start(
        by=clinic_admin, kind="fhir", identified=True, reason="Patient moves to Lakeside Clinic"
    )
    form = {"export": str(export.pk)}
    assert login(outsider).post(CANCEL, form).status_code == 404
    assert login(nurse).post(CANCEL, form).status_code == 403
    researcher_client = login(researcher)
    assert researcher_client.get(CANCEL + f"?export={export.pk}").status_code == 405
    assert researcher_client.post(CANCEL, {"export": str(identified.pk)}).status_code == 403
    assert researcher_client.post(CANCEL, {"export": "not-an-id"}).status_code == 404
    assert ApiExport.objects.filter(status=ExportStatus.CANCELLED).count() == 0

    _run(export)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    answer = researcher_client.post(CANCEL, form, follow=True)
    assert "can no longer be cancelled: it is ready to download" in answer.content.decode()
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert not AuditEvent.objects.filter(event_type=EventType.EXPORT_CANCELLED).exists()
    # A clinic admin cancels the identified one.
    assert login(clinic_admin).post(CANCEL, {"export": str(identified.pk)}).status_code == 302
    identified.refresh_from_db()
    assert identified.status == ExportStatus.CANCELLED


def test_old_export_files_are_removed_by_the_daily_job_and_the_record_kept(
    researcher: Any,
    clinic_admin: Any,
    prescriber: Any,
    make_patient: Any,
    login: Any,
    var: Path,
) -> None:
    make_patient(prescriber)
    old = export_start(by=researcher, kind="csv")
    identified = export_start(
        by=clinic_admin, kind="fhir", identified=True, reason="Patient moves to Lakeside Clinic"
    )
    _run(old)
    _run(identified)
    recent = export_start(by=researcher, kind="csv")
    _run(recent)
    assert len(_files(var)) == 3
    back = timezone.now() - dt.timedelta(days=DEFAULT_RETENTION_DAYS, hours=1)
    ApiExport.objects.filter(pk__in=[old.pk, identified.pk]).update(finished_at=back)

    assert registry.label_of("export_retention") == "Old export files removed"
    run = job_enqueue(name="export_retention", key="2026-12-01")
    assert run is not None
    assert execute(run.pk) == "2 export file(s) removed (kept 7 day(s))"
    assert _files(var) == [service.export_zip(recent)]  # identified PHI does not linger
    for export in (old, identified):
        export.refresh_from_db()
        assert export.status == ExportStatus.EXPIRED and export.expired_at is not None
        assert export.files  # the record keeps what it held
    events = AuditEvent.objects.filter(event_type=EventType.EXPORT_EXPIRED)
    assert {e.extra["api_export_id"] for e in events} == {str(old.pk), str(identified.pk)}
    assert all(e.actor_id is None and e.clinic_id == researcher.clinic_id for e in events)
    assert exports_expire().expired == 0  # a rerun removes nothing more
    assert AuditEvent.objects.filter(event_type=EventType.EXPORT_EXPIRED).count() == 2

    rows = login(researcher).get(ROWS).content.decode()
    assert "removed" in rows and "daily clean-up (7 days" in rows
    link = f"/research/exports/download/?export={old.pk}"
    assert login(researcher).get(link).status_code == 409


def test_the_retention_period_is_a_setting(
    researcher: Any, var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = export_start(by=researcher, kind="csv")
    _run(export)
    ApiExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - dt.timedelta(days=3))
    assert exports_expire().expired == 0
    monkeypatch.setenv("KETACLINIC_EXPORT_RETENTION_DAYS", "2")
    result = exports_expire()
    assert result.expired == 1 and result.retention_days == 2
    monkeypatch.setenv("KETACLINIC_EXPORT_RETENTION_DAYS", "0")
    with pytest.raises(Exception, match="below the minimum"):
        exports_expire()


def test_a_retried_identified_export_writes_its_viewed_events_once(
    clinic_admin: Any,
    prescriber: Any,
    make_patient: Any,
    var: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patients = [make_patient(prescriber) for _ in range(2)]
    export = export_start(
        by=clinic_admin, kind="fhir", identified=True, reason="Patients move to Lakeside Clinic"
    )
    real_zip = service._zip
    calls = {"n": 0}

    def disk_full_once(e: ApiExport) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(28, "No space left on device")
        return real_zip(e)

    monkeypatch.setattr(service, "_zip", disk_full_once)
    run = JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk))
    now = timezone.now()
    assert execute(run.pk, now=now).startswith("failed")  # after the events were written
    assert execute(run.pk, now=now + dt.timedelta(hours=1)).endswith("bytes")
    for patient in patients:
        viewed = AuditEvent.objects.filter(
            event_type=EventType.PATIENT_VIEWED,
            patient_id=patient.pk,
            reason="Identified FHIR export",
        )
        assert viewed.count() == 1
    assert AuditEvent.objects.filter(event_type=EventType.EXPORT_IDENTIFIED).count() == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.reads_audited_at is not None
