"""``ketaclinic backup create FILE`` / ``restore FILE`` / ``check FILE`` (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.ops.backup import (
    BackupError,
    CheckResult,
    backup_check,
    backup_create,
    backup_restore,
    read_manifest,
)


class Command(BaseCommand):
    help = (
        "Backups. `create FILE`: a consistent snapshot of the database (SQLite backup API or "
        "pg_dump) with a manifest of row counts and audit and ledger chain heads. `restore FILE`: "
        "load it into an empty database (DATABASE_URL), then check it. `check FILE`: compare the "
        "current database with the backup's manifest and verify the chains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "restore", "check"])
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if options["action"] == "create":
                manifest = backup_create(path)
                rows = sum(manifest["row_counts"].values())
                self.stdout.write(
                    f"backup written to {path}: {manifest['engine']}, "
                    f"{len(manifest['row_counts'])} tables, {rows} rows, "
                    f"{len(manifest['audit_heads'])} audit chain heads, "
                    f"{len(manifest['ledger_heads'])} ledger heads"
                )
                return
            if options["action"] == "restore":
                result = backup_restore(path)
                self.stdout.write(f"restored {path} into the configured database")
            else:
                result = backup_check(read_manifest(path))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self._report(result)

    def _report(self, result: CheckResult) -> None:
        if not result.ok:
            raise CommandError("check FAILED:\n  " + "\n  ".join(result.problems))
        self.stdout.write(
            f"check passed: {result.tables} tables, {result.rows} rows as recorded; audit chains "
            f"intact ({result.audit_events} events) and extend the recorded heads; ledger "
            f"chains intact ({result.ledger_entries} entries)"
        )
