from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.selectors import memberships_for_user

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
