"""``ketaclinic treatment rems-deadlines``: the periodic REMS deadline check (cron or a systemd
timer, e.g. hourly). Alerts for esketamine Patient Monitoring Forms not submitted within 2 days
of their 7-day deadline (warning) or past it (critical); idempotent, so running it often is safe."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ketaclinic.treatment.services import rems_deadline_alerts


class Command(BaseCommand):
    help = (
        "Treatment tools. `ketaclinic treatment rems-deadlines` raises REMS_DEADLINE alerts for "
        "Patient Monitoring Forms due within 2 days (warning) or overdue (critical)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["rems-deadlines"],
            help="rems-deadlines: alert on Patient Monitoring Forms near or past their deadline",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = rems_deadline_alerts()
        self.stdout.write(
            f"REMS deadlines: {run.checked} unsubmitted form(s) checked; new alerts: "
            f"{run.due_soon} due soon, {run.overdue} overdue"
        )
