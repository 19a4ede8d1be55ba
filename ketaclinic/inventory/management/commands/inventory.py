"""``ketaclinic inventory alerts``: the periodic stock check (hourly or daily). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.inventory.services import inventory_alerts


class Command(BaseCommand):
    help = (
        "Inventory tools. `ketaclinic inventory alerts` raises stock alerts: lots expiring within "
        "30 days, count discrepancies, unwitnessed waste, overdue loss notices or Form 106, and "
        "vials open more than 28 days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["alerts"], help="alerts: raise stock alerts")

    def handle(self, *args: Any, **options: Any) -> None:
        run = inventory_alerts()
        self.stdout.write(
            f"Inventory alerts: {run.checked_clinics} clinic(s) checked; {run.raised} new alert(s)"
        )
