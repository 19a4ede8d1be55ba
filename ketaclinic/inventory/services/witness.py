"""Witnesses of stock entries: a second active member of the clinic who may handle stock, who
authenticates again on the same screen (password and TOTP code, ``accounts.services
.reauthenticate``, the step-up the dose witness uses) and who is not the person recording the
entry. A refusal rolls the entry back and is audited on its own (``with_witness_refusal``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm, roles_with
from ketaclinic.accounts.services import reauthenticate
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment.services.witness import WitnessSignOff

T = TypeVar("T")

WITNESS_REFUSED = (
    "The witness could not be confirmed: the username, password or 6-digit code is not right "
    "(after 5 failures in 15 minutes the check is paused for 15 minutes). Nothing was recorded; "
    "the witness enters their own details again."
)


class WitnessRefusedError(Exception):
    def __init__(self, why: str, message: str, witness: Membership | None, field: str) -> None:
        super().__init__(message)
        self.why = why
        self.message = message
        self.witness = witness
        self.field = field


def witness_confirm(
    *,
    by: Membership,
    sign_off: WitnessSignOff | None,
    field: str = "witness_password",
    others: tuple[int, ...] = (),
) -> Membership:
    """The witness's membership, after their re-authentication; raises ``WitnessRefusedError``.
    ``others``: user ids who may not witness either (the first witness of a destruction)."""
    if sign_off is None or not sign_off.username.strip():
        raise WitnessRefusedError(
            "missing", "A second person must witness this entry.", None, field
        )
    witness = (
        Membership.objects.select_related("user", "clinic")
        .filter(
            clinic_id=by.clinic_id,
            is_active=True,
            role__in=roles_with(Perm.STOCK_HANDLE),
            user__username=sign_off.username.strip(),
            user__is_active=True,
        )
        .first()
    )
    if witness is None:
        raise WitnessRefusedError("unknown_witness", WITNESS_REFUSED, None, field)
    if witness.user_id == by.user_id or witness.user_id in others:
        raise WitnessRefusedError(
            "same_person",
            "The witness must be another person than the one recording the entry.",
            witness,
            field,
        )
    if not reauthenticate(membership=witness, password=sign_off.password, token=sign_off.token):
        raise WitnessRefusedError("credentials", WITNESS_REFUSED, witness, field)
    return witness


def with_witness_refusal(by: Membership, purpose: str, call: Callable[[], T]) -> T:
    """Run a witnessed service; when the witness is refused, its transaction has rolled back with
    any event written inside it: record the refusal now, committed on its own, and turn it into a
    form error on the witness's fields."""
    try:
        return call()
    except WitnessRefusedError as refused:
        with transaction.atomic():
            if refused.witness is not None and refused.why == "credentials":
                audit_record(
                    event_type=EventType.REAUTH_FAILED,
                    actor=refused.witness,
                    extra={"purpose": purpose},
                )
            audit_record(
                event_type=EventType.STOCK_WITNESS_FAILED,
                actor=by,
                extra={
                    "purpose": purpose,
                    "why": refused.why,
                    "witness_user_id": refused.witness.user_id if refused.witness else None,
                },
            )
        raise ValidationError({refused.field: refused.message}) from None


__all__ = ["WITNESS_REFUSED", "WitnessSignOff", "with_witness_refusal", "witness_confirm"]
