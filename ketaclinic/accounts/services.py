"""Writes for clinics, users and roles. Each writes its audit event in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.models import UserSession as Session
from ketaclinic.accounts.permissions import Perm, Role
from ketaclinic.accounts.staff_checks import (
    credentials_managed_by,
    role_problem,
    staff_add_problems,
)
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.services import audit_record


@transaction.atomic
def clinic_create(*, by: Membership | None, **fields: Any) -> Clinic:
    clinic = Clinic(**fields)
    clinic.full_clean()
    clinic.save()
    audit_record(
        event_type=EventType.CLINIC_CREATED,
        actor=by,
        clinic_id=clinic.pk,
        obj=clinic,
        changes={k: (None, getattr(clinic, k)) for k in fields},
    )
    return clinic


@transaction.atomic
def user_create(
    *,
    by: Membership | None,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    printed_name: str = "",
    email: str = "",
) -> User:
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        printed_name=printed_name,
        email=email,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        event_type=EventType.USER_CREATED,
        actor=by,
        clinic_id=by.clinic_id if by else None,
        obj=user,
        changes={"username": (None, username), "printed_name": (None, printed_name)},
    )
    return user


@transaction.atomic
def membership_grant(
    *, by: Membership | None, user: User, clinic: Clinic, role: Role
) -> Membership:
    existing = Membership.objects.filter(user=user, clinic=clinic).first()
    if existing is not None:
        old_role, old_active = existing.role, existing.is_active
        existing.role = str(role)
        existing.is_active = True
        existing.save(update_fields=["role", "is_active"])
        audit_record(
            event_type=EventType.MEMBERSHIP_UPDATED,
            actor=by,
            clinic_id=clinic.pk,
            obj=existing,
            changes={"role": (old_role, str(role)), "is_active": (old_active, True)},
            extra={"user_id": user.pk},
        )
        return existing
    membership = Membership.objects.create(user=user, clinic=clinic, role=str(role))
    audit_record(
        event_type=EventType.MEMBERSHIP_CREATED,
        actor=by,
        clinic_id=clinic.pk,
        obj=membership,
        changes={"role": (None, str(role))},
        extra={"user_id": user.pk},
    )
    return membership


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice) -> TOTPDevice:
    """Mark a freshly verified TOTP device as the user's second factor."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_record(
        event_type=EventType.TOTP_ENROLLED,
        user_id=user.pk,
        username=user.username,
        extra={"device_id": device.pk},
    )
    return device


def reauthenticate(
    *,
    membership: Membership,
    password: str,
    token: str,
    purpose: str = "",
    typed_by: Membership | None = None,
) -> bool:
    """Step-up check before a signature, a witness or an account change (21 CFR 11.200; OWASP ASVS
    3.7.1): ``membership``'s password and a current TOTP code, every time. ``typed_by``: the
    signed-in person at the keyboard when they are someone else (a dose witness types their own
    details on the nurse's session; default: ``membership`` itself).

    A failure is audited against the person who typed it (``actor``), naming the person whose
    credentials were tried (``extra.named_user_id``) and ``purpose`` (e.g. ``"staff.role"``).
    The pause after repeated failures also applies to who typed, so failing as someone else
    cannot lock that person's own signing (issue 10, finding 6); the named person sees each
    such failure on their home page (``selectors.failed_checks_naming``)."""
    typist = typed_by or membership
    user = membership.user
    extra: dict[str, Any] = {"purpose": purpose} if purpose else {}
    if typist.user_id != user.pk:
        extra["named_user_id"] = user.pk
    if reauth_paused(user_id=typist.user_id):
        # Too many recent failures: refuse without testing the password (no guessing oracle).
        with transaction.atomic():
            audit_record(
                event_type=EventType.REAUTH_FAILED, actor=typist, extra={**extra, "paused": True}
            )
        return False
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    ok = bool(password) and user.check_password(password)
    ok = ok and device is not None and bool(token) and device.verify_token(token.strip())
    if not ok:
        with transaction.atomic():
            audit_record(event_type=EventType.REAUTH_FAILED, actor=typist, extra=extra or None)
    return ok


def reauth_paused(*, user_id: int) -> bool:
    """Step-up is paused for the person at the keyboard after ``KETACLINIC_LOGIN_FAILURE_LIMIT``
    failures (5) they typed within the cool-off window (15 minutes), as sign-in is (OWASP ASVS
    2.2.1), counted from the audit trail, which records every one. A signed-in session belongs to
    one user, so this counts every session and device of theirs."""
    since = timezone.now() - timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    failures = AuditEvent.objects.filter(
        event_type=EventType.REAUTH_FAILED, actor_id=user_id, event_time__gte=since
    ).count()
    return failures >= settings.AXES_FAILURE_LIMIT


REAUTH_REFUSED = (
    "The password or the 6-digit code was not accepted. After 5 failures in 15 minutes the check "
    "is paused for 15 minutes."
)


# --------------------------------------------------------------------------------------------------
# Account management by a clinic admin, and by each user for their own account.

CLINIC_FIELDS = (
    "name",
    "address",
    "time_zone",
    "country",
    "dea_number",
    "rems_setting_id",
    "opening_days",
)


def _require_admin(by: Membership, member: Membership | None = None) -> None:
    """Services check their caller too (views already have): only an active clinic admin acts, and
    only on a membership of their own clinic."""
    if not by.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied("Only a clinic admin manages staff and clinic settings.")
    if member is not None and member.clinic_id != by.clinic_id:
        raise PermissionDenied("That membership belongs to another clinic.")


def _reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({field: "Say why; the reason is kept in the audit trail."})
    return reason


def _locked(member: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("user").get(pk=member.pk)


def _keep_an_active_admin(member: Membership, field: str) -> None:
    """Refuse a change that would leave the clinic without an active clinic admin. The clinic's
    admin rows are locked first, so two admins demoting each other at once cannot both succeed."""
    admins = set(
        Membership.objects.select_for_update()
        .filter(clinic_id=member.clinic_id, role=Role.CLINIC_ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if member.pk in admins and not admins - {member.pk}:
        raise ValidationError(
            {
                field: f"{member.user.display_name} is the clinic's last active clinic admin; "
                "make another member clinic admin first."
            }
        )


@dataclass(frozen=True)
class StaffAdded:
    membership: Membership
    new_account: bool  # False: an existing account (of another clinic) was given a role here


@transaction.atomic
def staff_add(
    *,
    by: Membership,
    username: str,
    role: Role,
    temporary_password: str,
    first_name: str = "",
    last_name: str = "",
    printed_name: str = "",
    email: str = "",
) -> StaffAdded:
    """Add a staff member to ``by``'s clinic. A new account gets the admin's temporary password and
    must choose its own at first sign-in. An existing username (someone working in another clinic)
    is given a role here instead: their names, password and second factor stay as they are."""
    _require_admin(by)
    clinic = by.clinic
    problems = staff_add_problems(
        by=by,
        username=username,
        role=role,
        temporary_password=temporary_password,
        first_name=first_name,
        last_name=last_name,
        printed_name=printed_name,
        email=email,
    )
    if problems:
        raise ValidationError(problems)
    role = Role(role)
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        membership = membership_grant(by=by, user=existing, clinic=clinic, role=role)
        return StaffAdded(membership=membership, new_account=False)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        printed_name=printed_name,
        email=email,
        must_change_password=True,
    )
    user.set_password(temporary_password)
    user.save()
    audit_record(
        event_type=EventType.USER_CREATED,
        actor=by,
        obj=user,
        changes={
            "username": (None, username),
            "first_name": (None, first_name),
            "last_name": (None, last_name),
            "printed_name": (None, printed_name),
            "email": (None, email),
            "must_change_password": (None, True),
        },
    )
    membership = membership_grant(by=by, user=user, clinic=clinic, role=role)
    return StaffAdded(membership=membership, new_account=True)


@transaction.atomic
def membership_change_role(
    *, by: Membership, membership: Membership, role: Role, reason: str
) -> Membership:
    _require_admin(by, membership)
    problem = role_problem(role)
    if problem:
        raise ValidationError({"role": problem})
    reason = _reason(reason)
    locked = _locked(membership)
    old = locked.role
    if old == str(role):
        raise ValidationError({"role": f"{locked.user.display_name} already has this role."})
    if old == Role.CLINIC_ADMIN:
        _keep_an_active_admin(locked, "role")
    locked.role = str(role)
    locked.save(update_fields=["role"])
    audit_record(
        event_type=EventType.MEMBERSHIP_UPDATED,
        actor=by,
        obj=locked,
        reason=reason,
        changes={"role": (old, str(role))},
        extra={"user_id": locked.user_id},
    )
    return locked


@transaction.atomic
def membership_deactivate(*, by: Membership, membership: Membership, reason: str) -> Membership:
    """End a member's access to this clinic from their next request. Never deleted: the audit trail
    and their signed records keep pointing at it."""
    _require_admin(by, membership)
    reason = _reason(reason)
    locked = _locked(membership)
    if not locked.is_active:
        raise ValidationError("This role is already deactivated.")
    _keep_an_active_admin(locked, NON_FIELD_ERRORS)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    audit_record(
        event_type=EventType.MEMBERSHIP_DEACTIVATED,
        actor=by,
        obj=locked,
        reason=reason,
        changes={"is_active": (True, False)},
        extra={"user_id": locked.user_id, "role": locked.role},
    )
    return locked


@transaction.atomic
def membership_reactivate(*, by: Membership, membership: Membership, reason: str) -> Membership:
    _require_admin(by, membership)
    reason = _reason(reason)
    locked = _locked(membership)
    if locked.is_active:
        raise ValidationError("This role is already active.")
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit_record(
        event_type=EventType.MEMBERSHIP_REACTIVATED,
        actor=by,
        obj=locked,
        reason=reason,
        changes={"is_active": (False, True)},
        extra={"user_id": locked.user_id, "role": locked.role},
    )
    return locked


@transaction.atomic
def user_reset_second_factor(*, by: Membership, member: Membership, reason: str) -> int:
    """Delete the member's TOTP devices: their next request (and next sign-in) goes to enrolment.
    Returns the number of devices removed."""
    _require_admin(by, member)
    reason = _reason(reason)
    credentials_managed_by(by, member)
    devices = list(TOTPDevice.objects.filter(user_id=member.user_id).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=devices).delete()
    audit_record(
        event_type=EventType.SECOND_FACTOR_RESET,
        actor=by,
        obj=member.user,
        reason=reason,
        changes={"totp_devices": (len(devices), 0)},
        extra={"device_ids": devices, "membership_id": member.pk},
    )
    return len(devices)


@transaction.atomic
def user_set_temporary_password(
    *, by: Membership, member: Membership, password: str, reason: str
) -> User:
    """A one-time password chosen by the admin; the member must replace it at their next sign-in.
    Their open sessions end (Django checks the password hash on every request)."""
    _require_admin(by, member)
    reason = _reason(reason)
    credentials_managed_by(by, member)
    user = User.objects.select_for_update().get(pk=member.user_id)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"temporary_password": exc.messages}) from exc
    old_flag = user.must_change_password
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(
        event_type=EventType.TEMPORARY_PASSWORD_SET,
        actor=by,
        obj=user,
        reason=reason,
        # Never the password or its hash: only that it changed.
        changes={
            "password": ("(previous)", "(temporary)"),
            "must_change_password": (old_flag, True),
        },
        extra={"membership_id": member.pk},
    )
    return user


CURRENT_CHECK_PAUSED = (
    "Too many wrong current passwords: this check is paused for 15 minutes. Nothing changed."
)


def user_change_password(
    *, user: User, current_password: str, new_password: str, by: Membership | None = None
) -> User:
    """The owner changes their own password (the current one first). Clears ``must_change_password``.
    Django ends the user's other sessions (they carry the old password hash); the view keeps this one.

    The current-password check is a password oracle for whoever holds a signed-in session, so it
    is throttled as sign-in is: each wrong password is audited (``auth.password_check_failed``,
    in its own transaction, so the refusal does not roll it back), and after 5 in 15 minutes the
    check is paused without testing the password."""
    since = timezone.now() - timedelta(minutes=settings.AXES_COOLOFF_MINUTES)
    failures = AuditEvent.objects.filter(
        event_type=EventType.PASSWORD_CHECK_FAILED, actor_id=user.pk, event_time__gte=since
    ).count()
    if failures >= settings.AXES_FAILURE_LIMIT:
        raise ValidationError({"current_password": CURRENT_CHECK_PAUSED})
    if not current_password or not user.check_password(current_password):
        with transaction.atomic():
            audit_record(
                event_type=EventType.PASSWORD_CHECK_FAILED,
                actor=by,
                user_id=user.pk,
                username=user.username,
                obj=user,
            )
        raise ValidationError({"current_password": "That is not your current password."})
    return _password_change(user=user, current_password=current_password, new=new_password, by=by)


@transaction.atomic
def _password_change(*, user: User, current_password: str, new: str, by: Membership | None) -> User:
    new_password = new
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.check_password(current_password):  # changed meanwhile in another session
        raise ValidationError({"current_password": "That is not your current password."})
    if current_password == new_password:
        raise ValidationError(
            {"new_password1": "Choose a password different from the current one."}
        )
    try:
        validate_password(new_password, locked)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from exc
    old_flag = locked.must_change_password
    locked.set_password(new_password)
    locked.must_change_password = False
    locked.save(update_fields=["password", "must_change_password"])
    audit_record(
        event_type=EventType.PASSWORD_CHANGED,
        actor=by,
        user_id=locked.pk,
        username=locked.username,
        obj=locked,
        changes={"password": ("(previous)", "(new)"), "must_change_password": (old_flag, False)},
    )
    return locked


def _session_user_id(session: Session) -> str | None:
    value = session.get_decoded().get(SESSION_KEY)  # a corrupt row decodes to {}: nobody's
    return str(value) if value is not None else None


@transaction.atomic
def user_sessions_end(*, user: User, by: Membership | None = None) -> int:
    """Sign the user out everywhere: delete every server-side session row of theirs (this one too).
    Sessions are few (15-minute idle limit, expired rows deleted when presented), so scanning the
    unexpired ones is cheap. Returns how many were ended."""
    mine = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if _session_user_id(s) == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    audit_record(
        event_type=EventType.SESSIONS_ENDED,
        actor=by,
        user_id=user.pk,
        username=user.username,
        obj=user,
        extra={"sessions_ended": len(mine)},
    )
    return len(mine)


@transaction.atomic
def clinic_update(*, by: Membership, reason: str, **fields: Any) -> Clinic:
    """Edit the clinic's settings; every changed field is audited with its old and new value."""
    _require_admin(by)
    unknown = set(fields) - set(CLINIC_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown clinic fields: {', '.join(sorted(unknown))}")
    if "country" in fields and fields["country"] not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError({"country": "Choose a two-letter country code such as US."})
    clinic = Clinic.objects.select_for_update().get(pk=by.clinic_id)
    changes = {f: (getattr(clinic, f), v) for f, v in fields.items() if getattr(clinic, f) != v}
    if not changes:
        return clinic
    reason = _reason(reason)
    for field, (_, new) in changes.items():
        setattr(clinic, field, new)
    clinic.full_clean()
    clinic.save(update_fields=list(changes))
    audit_record(
        event_type=EventType.CLINIC_UPDATED,
        actor=by,
        obj=clinic,
        reason=reason,
        changes=changes,
    )
    return clinic
