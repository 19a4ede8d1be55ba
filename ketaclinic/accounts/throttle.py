"""Throttles that protect accounts (OWASP ASVS 2.2.1, 6.1.1, 6.3.1): the per-username sign-in
lock across addresses (django-axes keeps the per-username+address one), with a lift by a clinic
admin, and the step-up throttle, counted against the person who typed, not the person named.
Failures are counted from the audit trail, which records each one."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership, SignInLock
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.services import audit_record

USERNAME_LOCKED = (
    "Sign-in for this username is locked after many failed attempts from several places. "
    "It unlocks by itself later, or a clinic admin can lift the lock now."
)


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.AXES_COOLOFF_MINUTES)


def username_locked(username: str) -> bool:
    return SignInLock.objects.filter(
        username=username[:150], locked_until__gt=timezone.now()
    ).exists()


def sign_in_failed(username: str) -> bool:
    """After a failed sign-in (already audited): lock the username when its failures from any
    address reach the limit. Returns whether it is locked now."""
    username = username[:150]
    lock = SignInLock.objects.filter(username=username).first()
    since = _window_start()
    if lock is not None and lock.lifted_at is not None:
        since = max(since, lock.lifted_at)
    failures = AuditEvent.objects.filter(
        event_type=EventType.LOGIN_FAILED, actor_username=username, event_time__gt=since
    ).count()
    if failures < settings.LOGIN_USERNAME_FAILURE_LIMIT:
        return False
    if lock is not None and lock.locked_until and lock.locked_until > timezone.now():
        return True
    until = timezone.now() + timedelta(minutes=settings.LOGIN_USERNAME_LOCK_MINUTES)
    with transaction.atomic():
        SignInLock.objects.update_or_create(username=username, defaults={"locked_until": until})
        audit_record(
            event_type=EventType.USERNAME_LOCKED,
            username=username,
            extra={"failures": failures, "locked_minutes": settings.LOGIN_USERNAME_LOCK_MINUTES},
        )
    return True


def lock_for(username: str) -> SignInLock | None:
    """The username's lock while it is in force."""
    return SignInLock.objects.filter(username=username, locked_until__gt=timezone.now()).first()


@transaction.atomic
def sign_in_unlock(*, by: Membership, member: Membership, reason: str) -> bool:
    """A clinic admin lifts a member's sign-in locks: this one across addresses and django-axes'
    per-address ones. Failures before the lift no longer count."""
    from axes.utils import reset

    username = member.user.username
    now = timezone.now()
    lock = SignInLock.objects.select_for_update().filter(username=username).first()
    was_locked = bool(lock and lock.locked_until and lock.locked_until > now)
    SignInLock.objects.update_or_create(
        username=username, defaults={"locked_until": None, "lifted_at": now}
    )
    attempts = reset(username=username)
    audit_record(
        event_type=EventType.USERNAME_UNLOCKED,
        actor=by,
        obj=member.user,
        reason=reason,
        changes={"locked": (was_locked, False)},
        extra={"membership_id": member.pk, "address_locks_cleared": attempts},
    )
    return was_locked
