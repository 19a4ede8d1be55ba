"""Electronic signatures bound to content (21 CFR 11.50 and 11.70).

The caller re-authenticates the signer first (``accounts.services.reauthenticate``: password and
TOTP code, 21 CFR 11.200), then records the signature here with the record's content as a dict.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from django.db import models, transaction
from django.utils import timezone

from ketaclinic.audit.chain import canonical
from ketaclinic.audit.models import EventType, Signature, SignatureMeaning
from ketaclinic.audit.services import _normalise, audit_record


class Signer(Protocol):
    @property
    def user_id(self) -> int: ...
    @property
    def clinic_id(self) -> int: ...
    @property
    def role(self) -> str: ...


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(_normalise(content))).hexdigest()


@transaction.atomic
def signature_record(
    *,
    by: Signer,
    printed_name: str,
    obj: models.Model,
    content: dict[str, Any],
    meaning: SignatureMeaning,
) -> Signature:
    signature = Signature.objects.create(
        clinic_id=by.clinic_id,
        signer_id=by.user_id,
        printed_name=printed_name,
        signed_at=timezone.now(),
        meaning=str(meaning),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        content_hash=content_hash(content),
    )
    audit_record(
        event_type=EventType.SIGNATURE_APPLIED,
        actor=by,
        obj=obj,
        extra={
            "signature_id": signature.pk,
            "meaning": str(meaning),
            "content_hash": signature.content_hash,
        },
    )
    return signature


def signature_matches(signature: Signature, content: dict[str, Any]) -> bool:
    """True while the record still has the content that was signed."""
    return signature.content_hash == content_hash(content)


def signatures_for(obj: models.Model) -> list[Signature]:
    return list(
        Signature.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("signer")
        .order_by("signed_at")
    )
