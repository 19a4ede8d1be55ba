from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.accounts.models import Clinic
from ketaclinic.scales.services import scale_text_load


class Command(BaseCommand):
    help = (
        "Rating-scale tools. `ketaclinic scales load-text FILE --clinic CODE` loads a clinic's "
        "licensed item text (JSON, format in ketaclinic/scales/text.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load-text"])
        parser.add_argument("file", type=Path, help="the licensed item-text JSON file")
        parser.add_argument("--clinic", required=True, help="the clinic's code")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(code=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"no clinic with code {options['clinic']!r}")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        try:
            text = scale_text_load(by=None, clinic=clinic, data=data)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Loaded licensed text for {text.code} (version {text.version}, {text.language}) "
            f"at {clinic.name}."
        )
