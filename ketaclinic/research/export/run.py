"""One export run: every table written into a hidden work folder beside ``out``, which is renamed to
``out`` only when every table is complete. An interrupted run leaves no half-written export; a new
run throws the stale work folder away and starts again, so nothing is ever duplicated."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ketaclinic.research.export.context import build_context
from ketaclinic.research.export.tables import TABLES
from ketaclinic.research.export.writers import write_csv, write_parquet

FORMATS = ("csv", "parquet", "fhir")


class ExportError(Exception):
    pass


def _work_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.partial")


def export_deidentified(
    *, clinic_ids: list[int], out: Path, fmt: str = "csv", progress: bool | None = None
) -> dict[str, int]:
    """Write the de-identified tables (or FHIR NDJSON files) of ``clinic_ids`` into ``out``.

    Returns the number of rows (or resources) per file. ``out`` must not exist yet."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if out.exists():
        raise ExportError(f"{out} already exists: choose a new folder (an export never overwrites)")
    work = _work_dir(out)
    if work.exists():
        shutil.rmtree(work)  # a previous run stopped half-way: start again, no duplicates
    work.mkdir(parents=True)
    show = sys.stderr.isatty() if progress is None else progress
    counts: dict[str, int] = {}
    if fmt == "fhir":
        from ketaclinic.research.fhir.export import write_fhir  # noqa: PLC0415 - optional format

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
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    work.rename(out)
    return counts
