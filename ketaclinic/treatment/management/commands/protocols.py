"""``ketaclinic protocols``: protocols as files, so that a clinic network shares them.

``ketaclinic protocols export CODE [--clinic CLINIC] [--version N]`` prints a protocol as JSON:
a shipped one, or with ``--clinic`` that clinic's protocol (its newest version unless
``--version``). The JSON uses the protocol's own field names (``code``, ``title``, ``drug``,
``route``, ``dose`` with ``basis``, ``usual``, ``minimum``, ``maximum``, ``cap``, ...); doses are
strings so that no binary float touches them.

``ketaclinic protocols import FILE --clinic CLINIC [--as USERNAME] [--change-note TEXT]``
creates a new clinic protocol version from such a file: a new protocol when the clinic has none
with its code, else a new version of it. Every rule of the web form applies (the strict parser,
then ``validate_protocol`` with the drug-and-route ceilings); when any fails nothing changes and
the command exits non-zero, each message naming the field and the limit. ``--as`` is the clinic
member who imports (a clinic admin: the audit trail names them); without it, the clinic's only
active member who manages protocols.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Perm, roles_with
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol_json import (
    ProtocolParseError,
    protocol_from_dict,
    protocol_to_dict,
)
from ketaclinic.treatment.models import Protocol, ProtocolVersion
from ketaclinic.treatment.services.protocols import protocol_create, protocol_new_version


class Command(BaseCommand):
    help = (
        "Protocols as JSON files. `ketaclinic protocols export CODE [--clinic CLINIC]` prints "
        "one; `ketaclinic protocols import FILE --clinic CLINIC` makes a new clinic protocol "
        "version from one, with every rule of the web form."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print a shipped or clinic protocol as JSON")
        export.add_argument("code", help="the protocol's code (e.g. iv_racemic_depression)")
        export.add_argument("--clinic", help="a clinic's code: export that clinic's protocol")
        export.add_argument("--version", type=int, help="the version number (default: newest)")
        imp = sub.add_parser("import", help="create a clinic protocol version from a JSON file")
        imp.add_argument("file", help="a JSON file made by `export` (- for standard input)")
        imp.add_argument("--clinic", required=True, help="the clinic's code")
        imp.add_argument("--as", dest="username", help="the clinic admin who imports")
        imp.add_argument("--change-note", default="", help="why (kept with the version)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["code"], options.get("clinic"), options.get("version"))
        else:
            self._import(
                options["file"], options["clinic"], options.get("username"), options["change_note"]
            )

    def _export(self, code: str, clinic_code: str | None, number: int | None) -> None:
        if clinic_code is None:
            if code not in SHIPPED_PROTOCOLS:
                raise CommandError(
                    f"code: no shipped protocol {code!r}; shipped: "
                    f"{', '.join(sorted(SHIPPED_PROTOCOLS))} (or give --clinic)"
                )
            data = protocol_to_dict(SHIPPED_PROTOCOLS[code])
        else:
            clinic = _clinic(clinic_code)
            versions = ProtocolVersion.objects.filter(
                family__clinic=clinic, family__code=code
            ).order_by("-number")
            if number is not None:
                versions = versions.filter(number=number)
            version = versions.first()
            if version is None:
                raise CommandError(f"code: clinic {clinic.code} has no protocol {code!r}")
            data = protocol_to_dict(version.protocol)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))

    def _import(self, file: str, clinic_code: str, username: str | None, change_note: str) -> None:
        clinic = _clinic(clinic_code)
        by = _importer(clinic, username)
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"file: cannot read {file}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"file: not JSON ({exc})") from None
        try:
            protocol = protocol_from_dict(data)
        except ProtocolParseError as exc:
            raise CommandError(f"refused, nothing changed: {exc}") from None
        note = change_note.strip() or f"Imported from {Path(file).name if file != '-' else 'stdin'}"
        family = Protocol.objects.filter(clinic=clinic, code=protocol.code).first()
        try:
            if family is None:
                version = protocol_create(by=by, protocol=protocol, change_note=note)
            else:
                version = protocol_new_version(
                    by=by, family=family, protocol=protocol, change_note=note
                )
        except ValidationError as exc:
            raise CommandError("refused, nothing changed:\n" + _messages(exc)) from None
        self.stdout.write(
            f"{clinic.code}: {version.family.code} version {version.number} created "
            f"({version.title})"
        )


def _clinic(code: str) -> Clinic:
    clinic = Clinic.objects.filter(code=code).first()
    if clinic is None:
        raise CommandError(f"--clinic: no clinic with code {code!r}")
    return clinic


def _importer(clinic: Clinic, username: str | None) -> Membership:
    members = Membership.objects.filter(
        clinic=clinic, is_active=True, role__in=roles_with(Perm.PROTOCOL_MANAGE)
    ).select_related("user", "clinic")
    if username:
        member = members.filter(user__username=username).first()
        if member is None:
            raise CommandError(
                f"--as: {username!r} is not an active member of {clinic.code} who manages protocols"
            )
        return member
    found = list(members[:2])
    if len(found) != 1:
        raise CommandError(
            f"--as: give the clinic admin who imports ({clinic.code} has {len(found)}"
            f"{'+' if len(found) == 2 else ''} members who manage protocols)"
        )
    return found[0]


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "\n".join(f"  {m}" for msgs in exc.message_dict.values() for m in msgs)
    return "\n".join(f"  {m}" for m in exc.messages)
