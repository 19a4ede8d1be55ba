from __future__ import annotations

import base64
from typing import Any

from django.core.management.base import BaseCommand

from ketaclinic.core.demo import DEMO_PASSWORD, DEMO_STEPS, DEMO_USERS, demo_totp_key


class Command(BaseCommand):
    help = "Create or refresh the demo clinic (idempotent, synthetic data only)."

    def handle(self, *args: Any, **options: Any) -> None:
        for step in DEMO_STEPS:
            step(self.stdout.write)
        self.stdout.write("")
        self.stdout.write(
            "Demo users (synthetic clinic; never use these credentials for real data):"
        )
        self.stdout.write(f"  password for every user: {DEMO_PASSWORD}")
        for spec in DEMO_USERS:
            secret = base64.b32encode(bytes.fromhex(demo_totp_key(spec.username))).decode()
            self.stdout.write(
                f"  {spec.username:<11} {spec.role.label:<18} TOTP secret {secret.rstrip('=')}"
            )
        self.stdout.write(
            "Get a user's current 6-digit code with: .venv/bin/ketaclinic demo-code USERNAME"
        )
