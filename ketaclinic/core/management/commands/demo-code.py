from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.totp import current_code


class Command(BaseCommand):
    help = "Print a user's current TOTP code (for the demo clinic and tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        device = TOTPDevice.objects.filter(
            user__username=options["username"], confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"user {options['username']!r} has no confirmed TOTP device")
        self.stdout.write(current_code(device))
