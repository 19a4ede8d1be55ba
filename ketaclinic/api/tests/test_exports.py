"""Exports prepared in the background: the API starts one (202), the worker's job prepares it with
progress, a retry after an error or a killed worker gives one export, not two; the download is
audited with ids and counts only."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.api import exports as service
from ketaclinic.api.exports import EXPORT_JOB, export_start
from ketaclinic.api.models import ApiExport, ExportStatus
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun, RunStatus
from ketaclinic.ops.runner import execute, requeue_expired
from ketaclinic.research.export import run as export_run
from ketaclinic.research.export.writers import write_csv
from ketaclinic.scales.services import scale_response_record

PHQ9 = [1, 1, 1, 1, 1, 1, 2, 1, 1]


class _WorkerKilled(BaseException):
    """Stands for kill -9: not an Exception, so nothing in the job runner catches it."""


@pytest.fixture
def var(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def patients(prescriber: Any, nurse: Any, make_patient: Any) -> list[Any]:
    made = [make_patient(prescriber) for _ in range(3)]
    for patient in made:
        scale_response_record(
            by=nurse,
            patient=patient,
            code="phq9",
            answers=PHQ9,
            effective_at=timezone.now() - dt.timedelta(hours=2),
        )
    return made


def _run_of(export: ApiExport) -> JobRun:
    return JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk))


def _zip_rows(path: Path) -> dict[str, int]:
    archive = zipfile.ZipFile(path)
    return {
        name: archive.read(name).decode().count("\n") - 1
        for name in archive.namelist()
        if name.endswith(".csv")
    }


def test_the_export_job_is_registered_with_a_label_in_words() -> None:
    assert registry.label_of(EXPORT_JOB) == "Research data export"


def test_the_api_starts_an_export_that_the_worker_prepares(
    client: Any,
    researcher: Any,
    nurse: Any,
    outsider: Any,
    patients: list[Any],
    bearer: Any,
    var: Path,
) -> None:
    headers = bearer(researcher)
    started = client.post(
        "/api/v1/exports", {"kind": "csv"}, content_type="application/json", headers=headers
    )
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["status"] == "queued"
    assert started["Location"] == f"/api/v1/exports/{body['id']}"
    assert body["download_url"] is None
    # Not ready yet: the download is refused in words.
    early = client.get(f"/api/v1/exports/{body['id']}/download", headers=headers)
    assert early.status_code == 409
    assert "not ready" in early.json()["message"]

    run = JobRun.objects.get(job=EXPORT_JOB, period=body["id"])
    assert run.clinic_id == researcher.clinic_id
    assert execute(run.pk).endswith("bytes")

    status = client.get(started["Location"], headers=headers).json()
    assert status["status"] == "done"
    assert status["files"]["patients.csv"] == 3
    assert status["files"]["scale_items.csv"] == 3 * len(PHQ9)
    assert status["progress"]["done"] == sum(status["files"].values())
    assert status["size_bytes"] > 0
    download = client.get(f"/api/v1/exports/{body['id']}/download", headers=headers)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "manifest.json" in archive.namelist()
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for patient in patients:
        assert patient.family_name.encode() not in everything
        assert patient.mrn.encode() not in everything

    # Scoping and roles: another clinic's member gets 404, a nurse 403, a wrong format 422.
    assert client.get(started["Location"], headers=bearer(outsider)).status_code == 404
    nurse_headers = bearer(nurse)
    assert client.get(started["Location"], headers=nurse_headers).status_code == 403
    refused = client.post(
        "/api/v1/exports", {"kind": "csv"}, content_type="application/json", headers=nurse_headers
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/exports", {"kind": "xlsx"}, content_type="application/json", headers=headers
    )
    assert bad.status_code == 422
    assert "kind" in bad.json()["errors"]


def test_preparing_and_downloading_are_audited_with_ids_and_counts_only(
    researcher: Any, patients: list[Any], var: Path
) -> None:
    export = export_start(by=researcher, kind="parquet")
    execute(_run_of(export).pk)
    export.refresh_from_db()
    service.export_download(by=researcher, export=export)
    prepared = AuditEvent.objects.get(event_type=EventType.EXPORT_DEIDENTIFIED)
    downloaded = AuditEvent.objects.get(event_type=EventType.EXPORT_DOWNLOADED)
    assert prepared.actor_id == researcher.user_id
    assert prepared.extra["api_export_id"] == str(export.pk)
    assert prepared.extra["rows"] == sum(export.files.values())
    assert downloaded.extra["size_bytes"] == export.size_bytes
    for event in (prepared, downloaded):
        assert str(var) not in str(event.extra)
        assert event.patient_id is None
        for patient in patients:
            assert patient.mrn not in str(event.extra)


def test_progress_is_written_while_the_export_runs(
    researcher: Any, patients: list[Any], var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = export_start(by=researcher, kind="csv")
    seen: list[tuple[str, int, int | None]] = []
    real_writer = write_csv

    def watching(table: Any, rows: Any, path: Path, tick: Any = None) -> int:
        row = ApiExport.objects.get(pk=export.pk)
        seen.append((row.status, row.rows_done, row.rows_total))
        return real_writer(table, rows, path, tick)

    monkeypatch.setattr(export_run, "write_csv", watching)
    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0.0)  # write every batch
    execute(_run_of(export).pk)
    export.refresh_from_db()
    assert {status for status, _done, _total in seen} == {ExportStatus.RUNNING}
    totals = {total for _s, _d, total in seen}
    assert len(totals) == 1
    assert totals.pop() == sum(export.files.values())  # the estimate is exact here
    done = [d for _s, d, _t in seen]
    assert done == sorted(done)
    assert done[-1] > 0


def _kill_on_third_table(monkeypatch: pytest.MonkeyPatch, state: dict[str, int]) -> None:
    real_writer = write_csv

    def dying(table: Any, rows: Any, path: Path, tick: Any = None) -> int:
        state["tables"] += 1
        written = real_writer(table, rows, path, tick)
        if state["kill"] and state["tables"] == 3:
            raise state["kill_with"]()  # type: ignore[operator]  # (a class in the dict)
        return written

    monkeypatch.setattr(export_run, "write_csv", dying)


@pytest.fixture
def one_clean_export(researcher: Any, patients: list[Any], var: Path) -> Iterator[dict[str, int]]:
    export = export_start(by=researcher, kind="csv")
    execute(_run_of(export).pk)
    export.refresh_from_db()
    yield _zip_rows(service.export_zip(export))


def test_a_worker_killed_mid_export_is_retried_into_one_export(
    researcher: Any,
    patients: list[Any],
    var: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_clean_export: dict[str, int],
) -> None:
    state: dict[str, Any] = {"tables": 0, "kill": True, "kill_with": _WorkerKilled}
    _kill_on_third_table(monkeypatch, state)
    export = export_start(by=researcher, kind="csv")
    run = _run_of(export)
    with pytest.raises(_WorkerKilled):
        execute(run.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.RUNNING  # the worker died: nobody marked it
    assert list(var.glob("api-exports/.*.partial"))  # half an export, hidden

    state["kill"] = False
    later = timezone.now() + dt.timedelta(hours=1)  # past the lease
    assert requeue_expired(later) == 1
    assert execute(run.pk, now=later).endswith("bytes")
    export.refresh_from_db()
    run.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2
    assert _zip_rows(service.export_zip(export)) == one_clean_export  # no row twice
    assert not list(var.glob("api-exports/.*"))  # nothing half-written is left
    assert ApiExport.objects.filter(clinic_id=researcher.clinic_id).count() == 2  # + the clean one
    events = AuditEvent.objects.filter(event_type=EventType.EXPORT_DEIDENTIFIED)
    assert events.filter(extra__api_export_id=str(export.pk)).count() == 1


def test_an_error_is_retried_and_the_last_failure_is_shown_in_words(
    researcher: Any, patients: list[Any], var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state: dict[str, Any] = {"tables": 0, "kill": True, "kill_with": OSError}
    _kill_on_third_table(monkeypatch, state)
    export = export_start(by=researcher, kind="csv")
    run = _run_of(export)
    now = timezone.now()
    for attempt in (1, 2, 3):
        state["tables"] = 0
        assert execute(run.pk, now=now).startswith("failed")
        export.refresh_from_db()
        now += dt.timedelta(hours=1)
        if attempt < 3:
            assert export.status == ExportStatus.QUEUED
            assert f"Attempt {attempt} of 3" in export.error
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert export.status == ExportStatus.FAILED
    assert "disk" in export.error
    assert str(var) not in export.error
    assert not service.export_zip(export).exists()
    with pytest.raises(service.ExportNotReadyError):
        service.export_download(by=researcher, export=export)


def test_a_member_who_lost_research_access_gets_no_export(
    researcher: Any, clinic_admin: Any, patients: list[Any], var: Path
) -> None:
    from ketaclinic.accounts.services import membership_deactivate

    export = export_start(by=researcher, kind="csv")
    membership_deactivate(by=clinic_admin, membership=researcher, reason="Left the study team")
    assert execute(_run_of(export).pk).startswith("refused")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "no longer has research access" in export.error
    assert not service.export_zip(export).exists()


def test_an_export_whose_last_worker_died_is_shown_as_failed(
    researcher: Any, patients: list[Any], var: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.JOBS_MAX_ATTEMPTS = 1
    state: dict[str, Any] = {"tables": 0, "kill": True, "kill_with": _WorkerKilled}
    _kill_on_third_table(monkeypatch, state)
    export = export_start(by=researcher, kind="csv")
    with pytest.raises(_WorkerKilled):
        execute(_run_of(export).pk)
    requeue_expired(timezone.now() + dt.timedelta(hours=1))
    assert _run_of(export).status == RunStatus.FAILED
    shown = service.get_export_for_user(membership=researcher, pk=export.pk)
    assert shown.status == ExportStatus.FAILED
    assert "worker stopped" in shown.error
    assert [e.status for e in service.recent_exports(membership=researcher)] == ["failed"]


def test_the_openapi_document_describes_the_background_export(client: Any, db: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    start = document["paths"]["/api/v1/exports"]["post"]
    assert "202" in start["responses"]
    assert "201" not in start["responses"]
    status = document["paths"]["/api/v1/exports/{export_id}"]["get"]
    schema = status["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = document["components"]["schemas"][schema.rsplit("/", 1)[1]]["properties"]
    assert {"status", "progress", "download_url", "size_bytes"} <= set(fields)
    download = document["paths"]["/api/v1/exports/{export_id}/download"]["get"]
    assert "409" in download["responses"]


def test_a_long_export_keeps_its_lease_and_stops_when_another_attempt_took_it(
    researcher: Any, patients: list[Any], var: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PROGRESS_SECONDS", 0.0)
    export = export_start(by=researcher, kind="csv")
    run = _run_of(export)
    long_ago = timezone.now() - dt.timedelta(hours=2)
    JobRun.objects.filter(pk=run.pk).update(not_before=long_ago)  # queued two hours ago
    leases: list[Any] = []

    def watching(table: Any, rows: Any, path: Path, tick: Any = None) -> int:
        leases.append(JobRun.objects.get(pk=run.pk).lease_until)
        return write_csv(table, rows, path, tick)

    monkeypatch.setattr(export_run, "write_csv", watching)
    execute(run.pk, now=long_ago)  # claimed two hours ago: its first lease has long passed
    assert leases
    assert all(lease > timezone.now() for lease in leases)  # extended while it ran
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE

    # Another attempt took the run over: this one stops and leaves the record to it.
    second = export_start(by=researcher, kind="csv")
    second_run = _run_of(second)

    def taken_over(table: Any, rows: Any, path: Path, tick: Any = None) -> int:
        JobRun.objects.filter(pk=second_run.pk).update(attempts=2)  # as a requeue and claim do
        ApiExport.objects.filter(pk=second.pk).update(error="owned by attempt 2")
        return write_csv(table, rows, path, tick)

    monkeypatch.setattr(export_run, "write_csv", taken_over)
    assert execute(second_run.pk) == "failed: LeaseLostError"
    second.refresh_from_db()
    assert second.error == "owned by attempt 2"  # untouched by the stopped attempt
    assert not service.export_zip(second).exists()
