"""The exports page (/research/exports/): a researcher starts a de-identified export, follows its
progress (polled while it is prepared) and downloads it; only a clinic admin may prepare an
identified one, with a reason and the step-up. The researcher's home leads here and to the cohort
page, never to a chart."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.api.exports import EXPORT_JOB
from ketaclinic.api.models import ApiExport, ExportStatus
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.ops.models import JobRun
from ketaclinic.ops.runner import execute
from ketaclinic.testing import PASSWORD, totp_code

PAGE = "/research/exports/"
ROWS = "/research/exports/list/"


@pytest.fixture
def var(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def _run(export: ApiExport) -> str:
    return execute(JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk)).pk)


def test_a_researcher_starts_an_export_follows_it_and_downloads_it(
    researcher: Any, prescriber: Any, make_patient: Any, login: Any, var: Path
) -> None:
    patient = make_patient(prescriber)
    client = login(researcher)
    page = client.get(PAGE).content.decode()
    assert "CSV tables" in page
    assert "FHIR NDJSON" in page
    assert "Identified FHIR export" not in page
    started = client.post(PAGE, {"action": "start", "kind": "fhir"})
    assert started.status_code == 302
    export = ApiExport.objects.get()
    assert export.status == ExportStatus.QUEUED
    assert export.membership == researcher

    waiting = client.get(ROWS).content.decode()
    assert 'hx-trigger="every 2s"' in waiting  # polled while waiting
    assert "Waiting for the worker" in waiting
    assert "Download" not in waiting

    _run(export)
    ready = client.get(ROWS).content.decode()
    assert "hx-trigger" not in ready  # polling stops
    assert "Ready to download" in ready
    link = f"{reverse('research:export_file')}?export={export.pk}"
    assert link in ready
    download = client.get(link)
    assert download.status_code == 200
    archive = zipfile.ZipFile(BytesIO(b"".join(download.streaming_content)))
    assert "Patient.ndjson" in archive.namelist()
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert patient.mrn.encode() not in everything
    assert AuditEvent.objects.filter(event_type=EventType.EXPORT_DOWNLOADED).count() == 1


def test_the_list_says_who_started_each_export_and_when_in_clinic_time(
    researcher: Any, login: Any, var: Path
) -> None:
    client = login(researcher)
    client.post(PAGE, {"action": "start", "kind": "csv"})
    html = client.get(PAGE).content.decode()
    export = ApiExport.objects.get()
    assert researcher.user.get_full_name() in html
    assert " EST" in html or " EDT" in html  # the clinic is in New York
    assert "CSV tables" in html
    assert export.started_at.strftime("%H:%M UTC") not in html


def test_other_roles_and_other_clinics_cannot_see_or_download_exports(
    researcher: Any, nurse: Any, outsider: Any, login: Any, var: Path
) -> None:
    login(researcher).post(PAGE, {"action": "start", "kind": "csv"})
    export = ApiExport.objects.get()
    _run(export)
    link = f"{reverse('research:export_file')}?export={export.pk}"
    nurse_client = login(nurse)
    assert nurse_client.get(PAGE).status_code == 403
    assert nurse_client.get(ROWS).status_code == 403
    assert nurse_client.get(link).status_code == 403
    outsider_client = login(outsider)
    assert outsider_client.get(link).status_code == 404
    assert str(export.pk) not in outsider_client.get(PAGE).content.decode()
    assert (
        login(researcher).get(f"{reverse('research:export_file')}?export=nope").status_code == 404
    )


def test_a_download_before_the_export_is_ready_is_refused_in_words(
    researcher: Any, login: Any, var: Path
) -> None:
    client = login(researcher)
    client.post(PAGE, {"action": "start", "kind": "csv"})
    export = ApiExport.objects.get()
    early = client.get(f"{reverse('research:export_file')}?export={export.pk}")
    assert early.status_code == 409
    assert "not ready" in early.content.decode()


def test_a_clinic_admin_prepares_an_identified_export_with_a_reason_and_the_step_up(
    clinic_admin: Any, researcher: Any, prescriber: Any, make_patient: Any, login: Any, var: Path
) -> None:
    patient = make_patient(prescriber)
    client = login(clinic_admin)
    page = client.get(PAGE).content.decode()
    assert "Identified FHIR export (to move patients to another clinic&#x27;s system)" in page
    form = {
        "action": "identified",
        "reason": "Patient moves to Lakeside Clinic",
        "your_password": "not-my-password-at-all",
        "your_code": totp_code(clinic_admin.user),
    }
    refused = client.post(PAGE, form)
    assert refused.status_code == 200
    assert "No export was started" in refused.content.decode()
    assert not ApiExport.objects.exists()

    form["your_password"] = PASSWORD
    assert client.post(PAGE, form).status_code == 302
    export = ApiExport.objects.get()
    assert export.identified
    assert export.kind == "fhir"
    _run(export)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    path = var / "api-exports" / f"{export.pk}.zip"
    assert path.stat().st_mode & 0o077 == 0  # readable by the server's user only
    archive = zipfile.ZipFile(path)
    assert patient.mrn.encode() in archive.read("Patient.ndjson")
    prepared = AuditEvent.objects.get(event_type=EventType.EXPORT_IDENTIFIED)
    assert prepared.reason == "Patient moves to Lakeside Clinic"
    assert prepared.extra["rows"] == sum(export.files.values())
    viewed = AuditEvent.objects.filter(event_type=EventType.PATIENT_VIEWED, patient_id=patient.pk)
    assert viewed.exists()

    # A researcher never sees nor downloads it, and cannot start one.
    researcher_client = login(researcher)
    assert str(export.pk) not in researcher_client.get(PAGE).content.decode()
    link = f"{reverse('research:export_file')}?export={export.pk}"
    assert researcher_client.get(link).status_code == 403
    form["your_code"] = totp_code(researcher.user)
    assert researcher_client.post(PAGE, form).status_code == 403
    assert ApiExport.objects.count() == 1


def test_the_researchers_home_leads_to_cohorts_and_exports_never_a_chart(
    researcher: Any, prescriber: Any, make_patient: Any, login: Any
) -> None:
    patient = make_patient(prescriber)
    client = login(researcher)
    home = client.get("/").content.decode()
    assert f'href="{reverse("research:cohort")}"' in home
    assert f'href="{reverse("research:exports")}"' in home
    assert reverse("patients:list") not in home
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 403


def test_a_double_click_starts_one_export(researcher: Any, login: Any, var: Path) -> None:
    client = login(researcher)
    form = {"action": "start", "kind": "csv", "form_token": "one-rendered-form-0001"}
    assert client.post(PAGE, form).status_code == 302
    assert client.post(PAGE, form).status_code == 302  # the repeat lands on the same page
    assert ApiExport.objects.count() == 1


def test_the_list_takes_the_same_few_queries_however_many_exports(
    researcher: Any, login: Any, var: Path
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaclinic.api.exports import export_start

    client = login(researcher)
    client.get("/")  # the first request renews the session: not counted
    counts = []
    for _ in range(2):
        for _ in range(3):
            export_start(by=researcher, kind="csv")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ROWS).status_code == 200
        counts.append(len(captured.captured_queries))
    # the session + membership, the exports with who started them, their jobs' state
    assert counts[0] == counts[1] <= 3, counts
