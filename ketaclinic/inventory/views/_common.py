"""What the ledger pages share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm


def require(membership: Membership, perm: Perm) -> None:
    if not membership.can(perm):
        raise PermissionDenied
