"""``ketaclinic ledger verify``: check every clinic's controlled-substance ledger chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.inventory.verify import ledger_verify


class Command(BaseCommand):
    help = "Controlled-substance ledger tools. `ketaclinic ledger verify` checks the hash chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"], help="verify: walk each clinic's chain")
        parser.add_argument("--clinic", type=int, default=None, help="only this clinic's id")

    def handle(self, *args: Any, **options: Any) -> None:
        result = ledger_verify(clinic_id=options["clinic"])
        if not result.ok:
            raise CommandError(
                f"ledger chain BROKEN in clinic {result.clinic_id} at entry "
                f"{result.first_bad_sequence} (id {result.first_bad_entry_id}): {result.problem} "
                f"({result.entries} entries verified before it)"
            )
        self.stdout.write(f"ledger chains intact: {result.entries} entries verified")
