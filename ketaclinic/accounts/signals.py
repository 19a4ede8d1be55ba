"""Audit receivers for Django's authentication signals (sign-in, sign-out, failed sign-in)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from ketaclinic.accounts import throttle
from ketaclinic.accounts.middleware import AUTH_TIME_KEY
from ketaclinic.accounts.models import User
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_TIME_KEY] = time.time()
    with transaction.atomic():
        audit_record(event_type=EventType.LOGIN, user_id=user.pk, username=user.username)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        audit_record(event_type=EventType.LOGOUT, user_id=user.pk, username=user.username)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]  # never the password
    with transaction.atomic():
        audit_record(event_type=EventType.LOGIN_FAILED, username=username)
    throttle.sign_in_failed(username)  # the per-username lock across addresses
