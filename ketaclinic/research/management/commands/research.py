"""``ketaclinic research refresh [--clinic CODE]``: rebuild the cohort analytics summary now (the
worker does it hourly). Prints counts and the time taken, never patient data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.accounts.models import Clinic
from ketaclinic.research.summary import rebuild


class Command(BaseCommand):
    help = "Research tools. `ketaclinic research refresh` rebuilds the cohort analytics summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["refresh"], help="refresh: rebuild the cohort summary"
        )
        parser.add_argument("--clinic", help="only this clinic (its code); default every clinic")

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("pk")
        if options["clinic"]:
            clinics = clinics.filter(code=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"No clinic with the code {options['clinic']!r}.")
        for clinic in clinics:
            started = time.perf_counter()
            courses, outcomes = rebuild(clinic.pk)
            self.stdout.write(
                f"{clinic.code}: {courses} course fact(s), {outcomes} outcome fact(s) "
                f"in {time.perf_counter() - started:.1f} s"
            )
