"""Create, revoke and check API tokens. Writes audit events with ids only (never the secret)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.api.models import ApiToken
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record

TOKEN_PREFIX = "kc_"  # noqa: S105  (a public marker, not a secret)
DEFAULT_DAYS = 90
# A token lives at most a year: a long-lived bearer secret is a standing risk (OWASP ASVS 3.5).
MAX_DAYS = 365
# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; never stored, never logged


@transaction.atomic
def api_token_create(
    *, by: Membership, membership: Membership, name: str, days: int = DEFAULT_DAYS
) -> NewToken:
    """A token for ``membership`` (always one's own: ``by`` and ``membership`` are the same user)."""
    if by.user_id != membership.user_id:
        raise PermissionDenied
    name = name.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 100:
        errors["name"] = "Give the token a name of 1 to 100 characters (what will use it)."
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"A token lasts 1 to {MAX_DAYS} days; {days} is outside that."
    if not membership.is_active:
        errors["clinic"] = "Your role in this clinic is deactivated."
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    now = timezone.now()
    token = ApiToken.objects.create(
        user_id=membership.user_id,
        membership=membership,
        name=name,
        secret_hash=secret_hash(secret),
        prefix=secret[:8],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_record(
        event_type=EventType.API_TOKEN_CREATED,
        actor=by,
        obj=token,
        extra={"api_token_id": token.pk},
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, by: Membership, token: ApiToken) -> ApiToken:
    """Revoke one's own token (kept, with its revocation time, for the audit trail)."""
    if token.user_id != by.user_id:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            event_type=EventType.API_TOKEN_REVOKED,
            actor=by,
            obj=token,
            extra={"api_token_id": token.pk},
        )
    return token


def tokens_of(*, user_id: int) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(user_id=user_id)
        .select_related("membership__clinic")
        .order_by("-created_at")
    )


def _refusal(token: ApiToken, now: datetime) -> str | None:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if not token.user.is_active:
        return "user_inactive"
    if not token.membership.is_active or token.membership.user_id != token.user_id:
        return "membership_inactive"
    return None


def authenticate(secret: str) -> Membership | None:
    """The membership a bearer secret acts in, read fresh (current role), or None. A refused token
    that exists writes a sign-in failure event naming the token id and why (never the secret)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "membership__clinic", "membership__user")
        .filter(secret_hash=secret_hash(secret))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    refusal = _refusal(token, now)
    if refusal is not None:
        with transaction.atomic():
            audit_record(
                event_type=EventType.LOGIN_FAILED,
                user_id=token.user_id,
                username=token.user.username,
                clinic_id=token.membership.clinic_id,
                extra={"api_token_id": token.pk, "reason": refusal},
            )
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional update: concurrent requests write it once, and no row is overwritten.
        ApiToken.objects.filter(pk=token.pk).filter(last_used_at=token.last_used_at).update(
            last_used_at=now
        )
    return token.membership
