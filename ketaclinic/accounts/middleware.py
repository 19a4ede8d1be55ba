from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user,
    load_backend,
    logout,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware, is_verified
from django_otp.models import Device

from ketaclinic.accounts.selectors import memberships_for_user
from ketaclinic.accounts.sessions import AuthSnapshot, device_id

AUTH_TIME_KEY = "ketaclinic_auth_time"
CLINIC_KEY = "ketaclinic_clinic_id"

View = Callable[..., HttpResponse]


def two_factor_exempt(view: View) -> View:
    """For the pages a password-only session may reach: the 2FA step itself and logout."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]  # marker read by the middleware
    return view


def clinic_exempt(view: View) -> View:
    """For pages that do not need an active clinic (the account pages)."""
    view.clinic_exempt = True  # type: ignore[attr-defined]  # marker read by the middleware
    return view


def password_change_exempt(view: View) -> View:
    """For the page where a user replaces a temporary password (and nothing else)."""
    view.password_change_exempt = True  # type: ignore[attr-defined]  # marker read by the middleware
    return view


REFRESHED_KEY = "ketaclinic_refreshed"


def _snapshot(request: HttpRequest) -> AuthSnapshot | None:
    """The session's one-query read of user, device and memberships, if it still describes the
    session's data (a login or a second-factor step in this request changes the data after the
    read: then nothing is taken from it)."""
    session = request.session
    session.get(SESSION_KEY)  # loads the session: the one query
    snap: AuthSnapshot | None = getattr(session, "snapshot", None)
    if snap is None or snap.user is None:
        return None
    if str(session.get(SESSION_KEY)) != str(snap.user.pk):
        return None
    return snap


def _session_user(request: HttpRequest) -> Any:
    """``django.contrib.auth.get_user`` with the user taken from the session's joined read, for the
    default backend. The same checks in the same order: the backend is still configured, the
    account may sign in (``is_active``), and the session's password hash matches the user's (a
    password change elsewhere ends the session); anything else goes to Django's own path."""
    snap = _snapshot(request)
    backend_path = request.session.get(BACKEND_SESSION_KEY)
    if snap is None or snap.user is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return get_user(request)
    backend = load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user:
        return get_user(request)
    user = snap.user if backend.user_can_authenticate(snap.user) else None  # type: ignore[attr-defined]
    if user is None:
        return AnonymousUser()
    session_hash = request.session.get(HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = session_auth_hash
        return user
    request.session.flush()
    return AnonymousUser()


def _verified_user(request: HttpRequest) -> Any:
    """The user with django-otp's ``otp_device`` and ``is_verified()``: the device the session
    names, if it still exists, belongs to the user and is confirmed (as ``OTPMiddleware``)."""
    user = _session_user(request)
    user.otp_device = None
    user.is_verified = functools.partial(is_verified, user)
    if not user.is_authenticated:
        return user
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    snap = _snapshot(request)
    if snap is not None and snap.user is user and device_id(persistent_id) is not None:
        device = snap.device if snap.device and snap.device.pk == device_id(persistent_id) else None
    elif persistent_id:
        device = Device.from_persistent_id(OTPMiddleware._normalize_persistent_id(persistent_id))
    else:
        device = None
    user.otp_device = OTPMiddleware._finalize_device(request, user, device)
    return user


class SessionAuthMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` and django-otp's ``OTPMiddleware`` in one: sets
    ``request.user`` (with ``otp_device`` and ``is_verified()``) from the session's single joined
    query instead of a query each for the session, the user and the device (issue 15). A
    subclass, so that Django's checks (``LoginRequiredMiddleware`` after it) still hold."""

    def process_request(self, request: HttpRequest) -> None:
        request.user = SimpleLazyObject(lambda: _verified_user(request))  # type: ignore[assignment]
        request.auser = sync_to_async(lambda: request.user)


def refresh_interval() -> float:
    """How old the last renewal may be before a request renews the idle expiry: 60 s, but at
    most a quarter of the idle limit, so that at the shortest limit (60 s) a user active every
    45 s is never signed out (a fixed 60 s renewal would let such a session lapse)."""
    return min(float(settings.SESSION_REFRESH_SECONDS), settings.SESSION_COOKIE_AGE / 4)


class SessionLifetimeMiddleware:
    """Absolute session lifetime (12 hours by default, OWASP ASVS 3.3.2) and the idle limit.

    The idle limit is the server-side session expiry (``SESSION_COOKIE_AGE`` from the last save).
    Saving the session on every request would cost a write transaction per page; instead a request
    renews it when the last renewal is ``refresh_interval()`` old or more (60 s, at most a quarter
    of the limit). A session therefore ends between 14 and 15 minutes after the last activity at
    the default limit: never later than the limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(AUTH_TIME_KEY)
            if started is None or time.time() - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, "Your session has ended. Please sign in again.")
                return HttpResponseRedirect(reverse(settings.LOGIN_URL))
            now = time.time()
            refreshed = float(request.session.get(REFRESHED_KEY, 0))
            if now - refreshed >= refresh_interval():
                request.session[REFRESHED_KEY] = now  # marks it modified: saved, expiry renewed
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """Every role must pass a second factor (TOTP) before reaching any page (HIPAA NPRM, ASVS 6.3.3)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or getattr(view, "two_factor_exempt", False):
            return None
        if not getattr(view, "login_required", True):
            return None
        if user.is_verified():  # type: ignore[attr-defined]  # added by django_otp's middleware
            return None
        return HttpResponseRedirect(reverse("accounts:verify"))


class PasswordChangeRequiredMiddleware:
    """After the second factor: a user whose password was set by a clinic admin (a new account or a
    reset) is sent to choose their own before any other page (OWASP ASVS 2.1.x, 21 CFR 11.300(b))."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or not getattr(user, "must_change_password", False):
            return None
        if not getattr(view, "login_required", True) or getattr(view, "two_factor_exempt", False):
            return None  # the public pages and the sign-in steps (TwoFactorRequired runs first)
        if getattr(view, "password_change_exempt", False):
            return None
        return HttpResponseRedirect(reverse("accounts:password_change"))


class ActiveClinicMiddleware:
    """Sets ``request.membership``: the signed-in user's role in the clinic they are working in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        request.membership = None  # type: ignore[attr-defined]
        user = request.user
        if not user.is_authenticated or not getattr(view, "login_required", True):
            return None
        snap = _snapshot(request)
        if snap is not None and snap.user is not None and snap.user.pk == user.pk:
            memberships = snap.memberships  # read with the session, this request
        else:
            memberships = list(memberships_for_user(user))
        request.memberships = memberships  # type: ignore[attr-defined]
        chosen = request.session.get(CLINIC_KEY)
        membership = next((m for m in memberships if m.clinic_id == chosen), None)
        if membership is None and memberships:
            membership = memberships[0]
            request.session[CLINIC_KEY] = membership.clinic_id
        request.membership = membership  # type: ignore[attr-defined]
        if membership is not None:
            # Times are stored in UTC and shown in the clinic's own time zone.
            timezone.activate(membership.clinic.tzinfo)
        if membership is None and not getattr(view, "clinic_exempt", False):
            return render(request, "accounts/no_clinic.html", status=403)
        return None
