"""Writes for clinics, users and roles. Each writes its audit event in the same transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.permissions import Role
from ketaclinic.audit.models import EventType
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


def reauthenticate(*, membership: Membership, password: str, token: str) -> bool:
    """Step-up check before a signature or a witness (21 CFR 11.200; OWASP ASVS 3.7.1): both the
    password and a current TOTP code, every time. A failure is audited."""
    user = membership.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    ok = bool(password) and user.check_password(password)
    ok = ok and device is not None and bool(token) and device.verify_token(token.strip())
    if not ok:
        with transaction.atomic():
            audit_record(event_type=EventType.REAUTH_FAILED, actor=membership)
    return ok
