"""``ketaclinic export deidentified --out DIR [--format csv|parquet|fhir] [--clinic CODE]`` and
``ketaclinic export dictionary [--check]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.accounts.models import Clinic
from ketaclinic.research.export import (
    FORMATS,
    ExportError,
    dictionary_markdown,
    export_deidentified,
)

DICTIONARY = Path(__file__).resolve().parents[4] / "docs" / "data-dictionary.md"


class Command(BaseCommand):
    help = (
        "Research exports. `deidentified --out DIR [--format csv|parquet|fhir] [--clinic CODE]` "
        "writes the HIPAA Safe Harbor de-identified tables of every clinic (or one) into DIR, a new "
        "folder. `dictionary [--out FILE]` writes the data dictionary (default "
        "docs/data-dictionary.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deidentified", "dictionary"])
        parser.add_argument("--out", type=Path, help="the folder (or dictionary file) to write")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
        parser.add_argument("--clinic", help="a clinic code (default: every clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "dictionary":
            path = options["out"] or DICTIONARY
            path.write_text(dictionary_markdown(), encoding="utf-8")
            self.stdout.write(f"wrote {path}")
            return
        out = options["out"]
        if out is None:
            raise CommandError("--out is required: a new folder to write the export into")
        clinics = Clinic.objects.all()
        if options["clinic"]:
            clinics = clinics.filter(code=options["clinic"])
            if not clinics.exists():
                codes = ", ".join(Clinic.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"--clinic: no clinic {options['clinic']!r} (known: {codes})")
        try:
            counts = export_deidentified(
                clinic_ids=list(clinics.values_list("pk", flat=True)), out=out, fmt=options["fmt"]
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} rows")
        self.stdout.write(f"export written to {out}")
