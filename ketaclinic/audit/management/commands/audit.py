from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.audit.anchor import anchor_append
from ketaclinic.audit.chain import AnchorFormatError, parse_anchors
from ketaclinic.audit.models import AuditChainHead
from ketaclinic.audit.report import SinceError, audit_report, parse_since, report_text
from ketaclinic.audit.services import seal_head, seal_keys
from ketaclinic.audit.verify import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Audit trail tools. `verify [--anchors PATH]` checks the hash chains, head seals and "
        "anchors; `anchor --file PATH` appends the current heads to PATH (and to syslog when "
        "KETACLINIC_AUDIT_ANCHOR_SYSLOG is set); `seal` re-seals every head with the current key "
        "after a successful verify (after setting or rotating KETACLINIC_AUDIT_SEAL_KEYS); "
        "`report --since 24h [--clinic ID]` lists failed sign-ins, lockouts, denied accesses, "
        "step-up failures, corrections and configuration changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "anchor", "seal", "report"])
        parser.add_argument("--anchors", type=Path, help="verify: an anchor file to check against")
        parser.add_argument("--file", type=Path, help="anchor: the append-only file to write to")
        parser.add_argument("--since", default="24h", help="report: how far back (24h, 7d)")
        parser.add_argument("--clinic", type=int, default=None, help="report: one clinic's id")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options.get("anchors"))
        elif action == "report":
            self._report(options["since"], options["clinic"])
        elif action == "anchor":
            self._anchor(options.get("file"))
        else:
            self._seal()

    def _verify(self, path: Path | None) -> None:
        anchors = []
        if path is not None:
            try:
                anchors = parse_anchors(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from None
            except AnchorFormatError as exc:
                raise CommandError(f"{path}: {exc}") from None
            if not anchors:
                raise CommandError(f"{path} holds no anchors")
        result = audit_chain_verify(anchors=anchors)
        if not result.ok:
            where = f" at event {result.first_bad_event_id}" if result.first_bad_event_id else ""
            raise CommandError(
                f"audit chain BROKEN{where}: {result.problem} "
                f"({result.events} events verified before it)"
            )
        extras = [f"{result.chains} chains"]
        extras.append("heads sealed" if result.sealed else "seals NOT checked: no key configured")
        if path is not None:
            extras.append(f"extends all {result.anchors} anchors in {path}")
        self.stdout.write(
            f"audit chain intact: {result.events} events verified ({'; '.join(extras)})"
        )

    def _anchor(self, path: Path | None) -> None:
        if path is None:
            raise CommandError(
                "anchor needs --file PATH (an append-only file outside the database)"
            )
        lines = anchor_append(path)
        self.stdout.write("".join(f"{line}\n" for line in lines), ending="")
        self.stdout.write(f"{len(lines)} heads appended to {path}")

    def _report(self, since: str, clinic_id: int | None) -> None:
        try:
            delta = parse_since(since)
        except SinceError as exc:
            raise CommandError(str(exc)) from None
        if clinic_id is not None and not Clinic.objects.filter(pk=clinic_id).exists():
            raise CommandError(f"--clinic {clinic_id}: no such clinic")
        now = timezone.now()
        report = audit_report(since=now - delta, until=now, clinic_id=clinic_id)
        self.stdout.write(report_text(report), ending="")

    def _seal(self) -> None:
        key_id, _ = seal_keys()
        if not key_id:
            raise CommandError("no seal key: set KETACLINIC_AUDIT_SEAL_KEYS (or its _FILE)")
        result = audit_chain_verify(require_seal=False)
        if not result.ok:
            raise CommandError(f"refusing to seal a broken chain: {result.problem}")
        with transaction.atomic():
            heads = list(AuditChainHead.objects.select_for_update().order_by("chain"))
            for head in heads:
                seal_head(head)
                head.save(update_fields=["key_id", "seal"])
        self.stdout.write(f"{len(heads)} heads sealed with key {key_id}")
