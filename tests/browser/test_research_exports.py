"""A researcher on a phone (390 px) starts a de-identified export from the exports page, sees it
wait for the worker, and, once the worker's job has run, sees it ready (the list updates by itself)
and downloads the zip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from ketaclinic.api.exports import EXPORT_JOB
from ketaclinic.api.models import ApiExport
from ketaclinic.ops.models import JobRun
from ketaclinic.ops.runner import execute
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser


def test_a_researcher_starts_an_export_and_downloads_it_when_ready(
    new_page: Any,
    researcher: Any,
    prescriber: Any,
    make_patient: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.VAR_DIR = tmp_path
    make_patient(prescriber, mrn="EXP-1", family_name="Exportson")
    page = sign_in_through_ui(new_page(viewport={"width": 390, "height": 844}), researcher)
    page.get_by_role("main").get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    page.get_by_label("Format").select_option("parquet")
    page.get_by_role("button", name="Start the de-identified export").click()
    rows = page.locator("#export-rows")
    expect(rows).to_contain_text("Waiting to start")
    expect(rows).to_contain_text("Parquet tables")

    export = ApiExport.objects.get()
    execute(JobRun.objects.get(job=EXPORT_JOB, period=str(export.pk)).pk)  # the worker's job

    expect(rows).to_contain_text("Ready to download", timeout=10_000)  # polled, no reload
    expect(rows).not_to_have_attribute("hx-trigger", "every 2s")
    with page.expect_download() as download:
        rows.get_by_role("link", name="Download the zip").click()
    assert download.value.suggested_filename == f"ketaclinic-deidentified-parquet-{export.pk}.zip"
    assert "Exportson" not in page.content()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_a_researcher_cancels_a_waiting_export(
    new_page: Any, researcher: Any, settings: Any, tmp_path: Path, width: int
) -> None:
    settings.VAR_DIR = tmp_path
    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 844}), researcher)
    page.goto("/research/exports/")
    page.get_by_role("button", name="Start the de-identified export").click()
    rows = page.locator("#export-rows")
    expect(rows).to_contain_text("Waiting to start")
    rows.get_by_role("button", name="Cancel this export").click()
    expect(page.get_by_role("status").first).to_contain_text("Export cancelled")
    expect(rows).to_contain_text("Cancelled")
    expect(rows).to_contain_text("no file was kept")
    expect(rows.get_by_role("button", name="Cancel this export")).to_have_count(0)
    assert ApiExport.objects.get().status == "cancelled"
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
