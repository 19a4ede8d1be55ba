from __future__ import annotations

from django.db.models import QuerySet

from ketaclinic.accounts.models import Membership, User


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("clinic", "user")
        .order_by("clinic__name")
    )


def membership_for(user: User, clinic_id: int) -> Membership | None:
    return memberships_for_user(user).filter(clinic_id=clinic_id).first()
