# ruff: noqa: N999  # the command is `ketaclinic import`: Django names it after this file
"""``ketaclinic import patients|responses FILE.csv --clinic CODE --by USERNAME [--skip-invalid]
[--rejects FILE]``: see research/imports/ for the columns and rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ketaclinic.accounts.models import Membership
from ketaclinic.research.imports import ImportFileError, import_patients, import_responses


class _Bar:
    """A tqdm bar per phase ("checking", then "importing" with its total), on a terminal only."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.bar: tqdm[Any] | None = None

    def start(self, phase: str, total: int | None) -> None:
        self.close()
        self.bar = tqdm(
            desc=phase, total=total, unit=" rows", disable=not self.show, file=sys.stderr
        )

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


MAX_LISTED = 50


class Command(BaseCommand):
    help = (
        "Import a CSV file into one clinic. `patients FILE.csv` (columns mrn, given_name, "
        "family_name, birth_date, sex, email, phone, address_line, city, state, postal_code and "
        "optionally weight_kg, weight_measured_on (YYYY-MM-DD) and different_person) or `responses FILE.csv` (mrn, scale, taken_at, item_1 ... item_n). "
        "Every row is checked first; nothing is imported while a row is invalid unless "
        "--skip-invalid, which imports the valid rows and writes the rejects to a file (the "
        "original columns and an error column). An interrupted import is resumed by running "
        "the same command again: rows already written are not imported twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["patients", "responses"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--clinic", required=True, help="the clinic's code")
        parser.add_argument("--by", required=True, help="username of the staff member importing")
        parser.add_argument("--skip-invalid", action="store_true")
        parser.add_argument("--rejects", type=Path, help="where rejects go (FILE.rejects.csv)")

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.select_related("clinic", "user")
            .filter(clinic__code=options["clinic"], user__username=options["by"], is_active=True)
            .first()
        )
        if membership is None:
            raise CommandError(
                f"--by: {options['by']!r} is not an active member of clinic {options['clinic']!r}"
            )
        run = import_patients if options["kind"] == "patients" else import_responses
        bar = _Bar(sys.stderr.isatty())
        try:
            result = run(
                by=membership,
                path=options["file"],
                skip_invalid=options["skip_invalid"],
                rejects=options["rejects"],
                progress=bar,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        if result.resumed_from is not None:
            self.stdout.write(
                f"resumed the interrupted import of this file started {result.resumed_from:%Y-%m-%d %H:%M} UTC"
            )
        for problem in result.problems[:MAX_LISTED]:
            self.stderr.write(str(problem))
        if len(result.problems) > MAX_LISTED:
            self.stderr.write(f"... and {len(result.problems) - MAX_LISTED} more problems")
        if result.problems and not options["skip_invalid"]:
            raise CommandError(
                f"{result.rejected_rows} invalid row(s): nothing imported. Fix them, or use "
                "--skip-invalid to import the valid rows and write the rejects to a file."
            )
        self.stdout.write(
            f"imported {result.imported}, already imported {result.already_imported}, "
            f"already in the clinic {result.already_there}, rejected {result.rejected_rows}"
        )
        if result.rejects_file is not None:
            self.stdout.write(f"rejects written to {result.rejects_file}")
