from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.audit.verify import audit_chain_verify


class Command(BaseCommand):
    help = "Audit trail tools. `ketaclinic audit verify` checks the tamper-evident hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"], help="verify: walk the hash chain")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_verify()
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at event {result.first_bad_event_id}: {result.problem} "
                f"({result.events} events verified before it)"
            )
        self.stdout.write(f"audit chain intact: {result.events} events verified")
