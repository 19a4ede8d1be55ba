from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import AuditEvent, EventType


def memberships_for_user(user: User) -> QuerySet[Membership]:
    """The user's *active* roles: a deactivated membership grants nothing from the next request."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("clinic", "user")
        .order_by("clinic__name")
    )


def membership_for(user: User, clinic_id: int) -> Membership | None:
    return memberships_for_user(user).filter(clinic_id=clinic_id).first()


def all_memberships_for_user(user: User) -> QuerySet[Membership]:
    """Every role of the user, active or not: for their own account page."""
    return Membership.objects.filter(user=user).select_related("clinic").order_by("clinic__name")


def _with_second_factor(qs: QuerySet[Membership]) -> QuerySet[Membership]:
    enrolled = TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
    return qs.annotate(has_second_factor=Exists(enrolled))


def staff_for_clinic(*, membership: Membership) -> QuerySet[Membership]:
    """The clinic's members (active first, then by name), each with ``has_second_factor``. Only this
    clinic's memberships: nothing about other clinics a member may work in."""
    if not membership.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    qs = Membership.objects.filter(clinic_id=membership.clinic_id).select_related("user")
    return _with_second_factor(qs).order_by("-is_active", "user__last_name", "user__username")


def get_member_for_admin(*, membership: Membership, membership_id: int) -> Membership:
    """A membership of the admin's own clinic: another clinic's (or an unknown) id is a 404, a role
    without ``CLINIC_MANAGE`` a 403 (after the lookup, so the 404 reveals nothing)."""
    qs = Membership.objects.filter(pk=membership_id, clinic_id=membership.clinic_id)
    member = _with_second_factor(qs.select_related("user", "clinic")).first()
    if member is None:
        raise Http404("No such staff member")
    if not membership.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    return member


def failed_checks_naming(user: User, days: int = 7) -> list[AuditEvent]:
    """Step-up checks (a dose witness, a signature) that someone else failed with this user's
    name in the last ``days`` days: shown to the user on their home page, so a person whose
    credentials are being tried hears of it (21 CFR 11.300(d); issue 10, finding 6)."""
    since = timezone.now() - timedelta(days=days)
    return list(
        AuditEvent.objects.filter(
            event_type=EventType.REAUTH_FAILED,
            extra__named_user_id=user.pk,
            event_time__gte=since,
        ).order_by("-event_time")[:20]
    )
