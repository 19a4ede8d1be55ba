"""``ketaclinic export deidentified --out DIR [--format csv|parquet|fhir] [--clinic CODE]
[--validate shapes|all]``,
``ketaclinic export identified --out DIR --clinic CODE --by USERNAME [--patient MRN ...]`` (FHIR,
clinic admins only) and ``ketaclinic export dictionary [--out FILE]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.research.export import (
    FORMATS,
    ExportError,
    dictionary_markdown,
    export_deidentified,
    export_identified_fhir,
)
from ketaclinic.research.fhir import VALIDATION_MODES, Validator, validation

DICTIONARY = Path(__file__).resolve().parents[4] / "docs" / "data-dictionary.md"


class Command(BaseCommand):
    help = (
        "Research exports. `deidentified --out DIR [--format csv|parquet|fhir] [--clinic CODE]` "
        "writes the HIPAA Safe Harbor de-identified tables of every clinic (or one) into DIR, a new "
        "folder. `identified --out DIR --clinic CODE --by USERNAME [--patient MRN ...]` writes "
        "identified FHIR R4 NDJSON to move patients to another system (the user must be a clinic "
        "admin there). `dictionary [--out FILE]` writes the data dictionary (default "
        "docs/data-dictionary.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deidentified", "identified", "dictionary"])
        parser.add_argument("--out", type=Path, help="the folder (or dictionary file) to write")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="csv")
        parser.add_argument("--clinic", help="a clinic code (default: every clinic)")
        parser.add_argument("--by", help="identified: the username of the clinic admin exporting")
        parser.add_argument(
            "--patient", action="append", default=[], help="identified: an MRN (repeatable)"
        )
        parser.add_argument(
            "--validate",
            choices=VALIDATION_MODES,
            default="shapes",
            help="FHIR: validate each distinct resource shape fully and every value (shapes), or "
            "every resource fully (all)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "dictionary":
            path = options["out"] or DICTIONARY
            path.write_text(dictionary_markdown(), encoding="utf-8")
            self.stdout.write(f"wrote {path}")
            return
        out = options["out"]
        if out is None:
            raise CommandError("--out is required: a new folder to write the export into")
        if options["action"] == "identified":
            self._identified(out, options)
            return
        clinics = Clinic.objects.all()
        if options["clinic"]:
            clinics = clinics.filter(code=options["clinic"])
            if not clinics.exists():
                codes = ", ".join(Clinic.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"--clinic: no clinic {options['clinic']!r} (known: {codes})")
        try:
            with validation(options["validate"]) as checker:
                counts = export_deidentified(
                    clinic_ids=list(clinics.values_list("pk", flat=True)),
                    out=out,
                    fmt=options["fmt"],
                )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} rows")
        self._validation(checker)
        self.stdout.write(f"export written to {out}")

    def _validation(self, checker: Validator) -> None:
        if checker.resources:
            self.stdout.write(
                f"validated {checker.resources} FHIR resources with fhir.resources R4B: "
                f"{checker.full} with the full model ({checker.mode}; {checker.shapes} shapes), "
                "every value with its field's validator"
            )

    def _identified(self, out: Path, options: dict[str, Any]) -> None:
        if not options["clinic"] or not options["by"]:
            raise CommandError("identified needs --clinic CODE and --by USERNAME (a clinic admin)")
        membership = (
            Membership.objects.select_related("clinic", "user")
            .filter(clinic__code=options["clinic"], user__username=options["by"], is_active=True)
            .first()
        )
        if membership is None:
            raise CommandError(
                f"--by: {options['by']!r} is not an active member of clinic {options['clinic']!r}"
            )
        try:
            with validation(options["validate"]) as checker:
                counts = export_identified_fhir(by=membership, out=out, mrns=options["patient"])
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} resources")
        self._validation(checker)
        self.stdout.write(f"identified export written to {out}")
