from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.forms import ClinicSwitchForm, TokenForm
from ketaclinic.accounts.middleware import CLINIC_KEY, clinic_exempt, two_factor_exempt
from ketaclinic.accounts.models import User
from ketaclinic.accounts.selectors import membership_for
from ketaclinic.accounts.services import totp_device_confirm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record


class SignInView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


login_view = login_not_required(SignInView.as_view())


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # LoginRequiredMiddleware lets no anonymous request get here
        raise PermissionDenied
    return user


@two_factor_exempt
@clinic_exempt
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: the TOTP code, or enrolment when the user has no device yet."""
    user = _user(request)
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(settings.LOGIN_REDIRECT_URL)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return redirect("accounts:enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            next_url = request.GET.get("next", "")
            if next_url.startswith("/") and not next_url.startswith("//"):
                return HttpResponseRedirect(next_url)
            return redirect(settings.LOGIN_REDIRECT_URL)
        with transaction.atomic():
            audit_record(event_type=EventType.TOTP_FAILED, user_id=user.pk, username=user.username)
        form.add_error("token", "That code is not valid. Check the clock on your phone and retry.")
    return render(request, "accounts/verify.html", {"form": form})


@two_factor_exempt
@clinic_exempt
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP authenticator: show the secret and a QR code, confirm with one code."""
    import segno

    user = _user(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            totp_device_confirm(user=user, device=device)
            otp_login(request, device)
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("token", "That code is not valid. Scan the code again and retry.")
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=4),
        "secret": _base32(device.bin_key),
    }
    return render(request, "accounts/enrol.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode("ascii").rstrip("=")


@require_POST
@login_not_required
@two_factor_exempt
@clinic_exempt
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # flushes the server-side session
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
@clinic_exempt
def switch_clinic(request: HttpRequest) -> HttpResponse:
    form = ClinicSwitchForm(request.POST)
    if form.is_valid():
        membership = membership_for(_user(request), form.cleaned_data["clinic_id"])
        if membership is not None:
            request.session[CLINIC_KEY] = membership.clinic_id
            with transaction.atomic():
                audit_record(event_type=EventType.CLINIC_SWITCHED, actor=membership)
            return redirect("home")
    messages.error(request, "You have no role in that clinic.")
    return redirect(reverse("home"))
