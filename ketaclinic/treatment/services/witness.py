"""The dose's witness: who may witness, their sign-off at the chair (password and TOTP code)
and their e-signature bound to the dose as recorded."""

from __future__ import annotations

import dataclasses

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm, roles_with
from ketaclinic.accounts.services import reauthenticate
from ketaclinic.audit.models import SignatureMeaning
from ketaclinic.audit.signatures import signature_record
from ketaclinic.treatment.models import DoseAdministration
from ketaclinic.treatment.selectors.signing import dose_content


@dataclasses.dataclass(frozen=True)
class WitnessSignOff:
    """What the witness types at the chair: their own username, password and a current TOTP
    code (entered on the same device as the person giving the dose)."""

    username: str
    password: str = dataclasses.field(repr=False)
    token: str = dataclasses.field(repr=False)


WITNESS_REFUSED = (
    "The witness could not be confirmed: the username, password or 6-digit code is not right "
    "(after 5 failures in 15 minutes the check is paused for 15 minutes). "
    "The dose was not recorded; the witness enters their own details again."
)


class _WitnessRefusedError(Exception):
    def __init__(self, why: str, message: str, witness: Membership | None) -> None:
        super().__init__(message)
        self.why = why
        self.message = message
        self.witness = witness


def _witness_membership(by: Membership, sign_off: WitnessSignOff) -> Membership:
    """The witness: an active member of the clinic's clinical staff (a role that may administer
    treatment), not the person giving the dose."""
    username = sign_off.username.strip()
    witness = (
        Membership.objects.select_related("user", "clinic")
        .filter(
            clinic_id=by.clinic_id,
            is_active=True,
            role__in=roles_with(Perm.TREATMENT_ADMINISTER),
            user__username=username,
            user__is_active=True,
        )
        .first()
        if username
        else None
    )
    if witness is None:
        raise _WitnessRefusedError("unknown_witness", WITNESS_REFUSED, None)
    if witness.user_id == by.user_id:
        raise _WitnessRefusedError(
            "same_person",
            "The witness must be another person than the one giving the dose.",
            witness,
        )
    return witness


def _witness_confirm(by: Membership, witness: WitnessSignOff | None) -> Membership | None:
    if witness is None:
        return None
    membership = _witness_membership(by, witness)
    if not reauthenticate(
        membership=membership, password=witness.password, token=witness.token, typed_by=by
    ):
        raise _WitnessRefusedError("credentials", WITNESS_REFUSED, membership)
    return membership


def _witness_sign(dose: DoseAdministration, witness: Membership | None) -> int | None:
    """The witness's e-signature, meaning "witness", bound to the dose as recorded."""
    if witness is None:
        return None
    dose.refresh_from_db()  # the content as stored (Decimal places, times), as verified later
    dose.witnessed_by_id = witness.user_id
    signature = signature_record(
        by=witness,
        printed_name=witness.user.display_name,
        obj=dose,
        content=dose_content(dose),
        meaning=SignatureMeaning.WITNESS,
    )
    dose.witness_signature = signature
    dose.save(update_fields=["witnessed_by", "witness_signature"])
    return signature.pk


__all__ = [
    "WITNESS_REFUSED",
    "WitnessSignOff",
]
