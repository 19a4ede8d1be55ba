"""Protocols: create, new version, copy from the shipped library."""

from __future__ import annotations

import dataclasses
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Protocol as PureProtocol
from ketaclinic.treatment.domain.protocol_json import protocol_to_dict
from ketaclinic.treatment.domain.validation import validate_protocol
from ketaclinic.treatment.models import Protocol, ProtocolVersion
from ketaclinic.treatment.services._common import _need, _own

#: Django's SlugField rule (the web form's ``code`` field).
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _protocol_errors(p: PureProtocol) -> None:
    """Every rule a protocol meets, whichever way it arrives (web form, library copy, import):
    the code and title the web form accepts, then ``validate_protocol`` with the ceilings."""
    by_field: dict[str, list[str]] = {}
    if not p.code or len(p.code) > 64 or not _SLUG.fullmatch(p.code):
        by_field["code"] = [
            f"code: letters, digits, '-' and '_' only, at most 64 characters; got {p.code!r}"
        ]
    if not p.title.strip() or len(p.title) > 200:
        by_field["title"] = ["title: must not be empty, at most 200 characters"]
    for e in validate_protocol(p):
        by_field.setdefault(e.field, []).append(str(e))
    if by_field:
        raise ValidationError(by_field)


@transaction.atomic
def protocol_create(
    *, by: Membership, protocol: PureProtocol, library_code: str = "", change_note: str = ""
) -> ProtocolVersion:
    """A new clinic protocol with its version 1. An invalid protocol is refused, each message
    naming its field (``dose.maximum: allowed range ends at ...``)."""
    _need(by, Perm.PROTOCOL_MANAGE)
    _protocol_errors(protocol)
    if Protocol.objects.filter(clinic_id=by.clinic_id, code=protocol.code).exists():
        raise ValidationError(
            {"code": f"code: a protocol {protocol.code!r} already exists in this clinic."}
        )
    now = timezone.now()
    family = Protocol.objects.create(
        clinic_id=by.clinic_id,
        code=protocol.code,
        title=protocol.title,
        library_code=library_code,
        created_at=now,
        created_by_id=by.user_id,
    )
    version = ProtocolVersion.objects.create(
        family=family,
        number=1,
        data=protocol_to_dict(protocol),
        change_note=change_note or "First version",
        created_at=now,
        created_by_id=by.user_id,
    )
    audit_record(
        event_type=EventType.PROTOCOL_CREATED,
        actor=by,
        obj=version,
        extra={"protocol_id": family.pk, "code": protocol.code, "library_code": library_code},
    )
    return version


@transaction.atomic
def protocol_new_version(
    *, by: Membership, family: Protocol, protocol: PureProtocol, change_note: str
) -> ProtocolVersion:
    """A change to a protocol is a new version; sessions keep the version they ran under."""
    _need(by, Perm.PROTOCOL_MANAGE)
    _own(by, family.clinic_id)
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed and why."})
    protocol = dataclasses.replace(protocol, code=family.code)
    _protocol_errors(protocol)
    locked = Protocol.objects.select_for_update().get(pk=family.pk)
    last = locked.versions.order_by("-number").first()
    data = protocol_to_dict(protocol)
    if last is not None and last.data == data:
        raise ValidationError("Nothing changed: this is the current version.")
    version = ProtocolVersion.objects.create(
        family=locked,
        number=(last.number if last else 0) + 1,
        data=data,
        change_note=change_note.strip(),
        created_at=timezone.now(),
        created_by_id=by.user_id,
    )
    if locked.title != protocol.title:
        locked.title = protocol.title
        locked.save(update_fields=["title"])
    changed = sorted(k for k in data if last is None or last.data.get(k) != data[k])
    audit_record(
        event_type=EventType.PROTOCOL_VERSIONED,
        actor=by,
        obj=version,
        reason=change_note.strip(),
        extra={"protocol_id": locked.pk, "number": version.number, "changed": changed},
    )
    return version


def protocol_copy_from_library(*, by: Membership, library_code: str) -> ProtocolVersion:
    """Copy a shipped protocol into the clinic (idempotent: an existing copy is returned)."""
    if library_code not in SHIPPED_PROTOCOLS:
        raise ValidationError(
            {"library_code": f"Unknown protocol; allowed: {sorted(SHIPPED_PROTOCOLS)}"}
        )
    existing = (
        ProtocolVersion.objects.filter(family__clinic_id=by.clinic_id, family__code=library_code)
        .order_by("-number")
        .first()
    )
    if existing is not None:
        return existing
    return protocol_create(
        by=by,
        protocol=SHIPPED_PROTOCOLS[library_code],
        library_code=library_code,
        change_note="Copied from the ketaclinic library",
    )


__all__ = [
    "protocol_copy_from_library",
    "protocol_create",
    "protocol_new_version",
]
