from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import selectors, services, staff_checks, throttle
from ketaclinic.accounts.forms import (
    ClinicSettingsForm,
    ClinicSwitchForm,
    PasswordChangeForm,
    ReasonForm,
    RoleChangeForm,
    SignInForm,
    StaffAddForm,
    StepUpForm,
    TemporaryPasswordForm,
    TokenForm,
)
from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.middleware import (
    CLINIC_KEY,
    clinic_exempt,
    password_change_exempt,
    two_factor_exempt,
)
from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.permissions import Perm, Role
from ketaclinic.accounts.selectors import membership_for
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate, totp_device_confirm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


login_view = login_not_required(SignInView.as_view())


def _user(request: ClinicRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # LoginRequiredMiddleware lets no anonymous request get here
        raise PermissionDenied
    return user


@two_factor_exempt
@clinic_exempt
def verify(request: ClinicRequest) -> HttpResponse:
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
            request.session.cycle_key()  # a new session id once both factors are done
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
def enrol(request: ClinicRequest) -> HttpResponse:
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
            request.session.cycle_key()  # a new session id once both factors are done
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
def logout_view(request: ClinicRequest) -> HttpResponse:
    logout(request)  # flushes the server-side session
    messages.info(request, "You are signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
@clinic_exempt
def switch_clinic(request: ClinicRequest) -> HttpResponse:
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


# --------------------------------------------------------------------------------------------------
# Account management: the clinic admin's staff and clinic pages, and each user's own account.


def _admin(request: ClinicRequest) -> Membership:
    membership = membership_of(request)
    if not membership.can(Perm.CLINIC_MANAGE):
        raise PermissionDenied
    return membership


def _checked(form: StepUpForm, problems: dict[str, list[str]]) -> bool:
    """Show what the service would refuse (``staff_checks``) next to each field that has no error
    yet, beside the form's own errors, so that every error shows at once. True when none remain."""
    valid = form.is_valid()
    for field, found in problems.items():
        target = field if field in form.fields else None
        if target is not None and target in form.errors:
            continue  # the form already says what is wrong there (e.g. required)
        for message in found:
            form.add_error(target, message)
    return valid and not problems


def _stepped_up(request: ClinicRequest, form: StepUpForm, purpose: str) -> bool:
    """The admin's own password and current code, every time; a failure is audited and shown. Asked
    only after ``_checked`` (so a code is spent only on an otherwise valid form: issue 14,
    finding 6)."""
    ok = reauthenticate(
        membership=membership_of(request),
        password=form.cleaned_data["your_password"],
        token=form.cleaned_data["your_code"],
        purpose=purpose,
    )
    if not ok:
        form.add_error("your_password", f"{REAUTH_REFUSED} Nothing changed.")
    return ok


def staff_list(request: ClinicRequest) -> HttpResponse:
    admin = _admin(request)
    context = {"staff": selectors.staff_for_clinic(membership=admin)}
    return render(request, "accounts/staff_list.html", context)


def _staff_add_problems(admin: Membership, form: StaffAddForm) -> dict[str, list[str]]:
    if not form.is_bound:  # an empty POST: the form is shown again, nothing checked
        return {}
    form.is_valid()  # fills cleaned_data with the fields that are valid
    data = form.cleaned_data
    return staff_checks.staff_add_problems(
        by=admin,
        username=data.get("username", ""),
        role=data.get("role", ""),
        temporary_password=data.get("temporary_password", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        printed_name=data.get("printed_name", ""),
        email=data.get("email", ""),
    )


def staff_add(request: ClinicRequest) -> HttpResponse:
    admin = _admin(request)
    form = StaffAddForm(request.POST or None)
    if (
        request.method == "POST"
        and _checked(form, _staff_add_problems(admin, form))
        and _stepped_up(request, form, "staff.add")
    ):
        data = form.cleaned_data
        added = run_service(
            form,
            lambda: services.staff_add(
                by=admin,
                username=data["username"],
                role=Role(data["role"]),
                temporary_password=data["temporary_password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                printed_name=data["printed_name"],
                email=data["email"],
            ),
        )
        if added is not None:
            member = added.membership
            if added.new_account:
                messages.success(
                    request,
                    f"{member.user.display_name} added as {member.role_label.lower()}. They sign "
                    "in with the temporary password, then choose their own and set up two-factor.",
                )
            else:
                messages.success(
                    request,
                    f"{data['username']} already had an account: they were given the role "
                    f"{member.role_label.lower()} here and keep their own password and second "
                    "factor (the temporary password was not used).",
                )
            return redirect("accounts:staff_detail", membership_id=member.pk)
    return render(request, "accounts/staff_add.html", {"form": form})


def staff_detail(request: ClinicRequest, membership_id: int) -> HttpResponse:
    admin = membership_of(request)
    member = selectors.get_member_for_admin(membership=admin, membership_id=membership_id)
    lock = throttle.lock_for(member.user.username)
    return render(request, "accounts/staff_detail.html", {"member": member, "sign_in_lock": lock})


# action name -> (form class, page title, button, service call)
_StaffCall = Callable[[Membership, Membership, dict[str, Any]], object]
_STAFF_ACTIONS: dict[str, tuple[type[StepUpForm], str, str, _StaffCall]] = {
    "role": (
        RoleChangeForm,
        "Change role",
        "Change role",
        lambda by, m, d: services.membership_change_role(
            by=by, membership=m, role=Role(d["role"]), reason=d["reason"]
        ),
    ),
    "deactivate": (
        ReasonForm,
        "Deactivate",
        "Deactivate",
        lambda by, m, d: services.membership_deactivate(by=by, membership=m, reason=d["reason"]),
    ),
    "reactivate": (
        ReasonForm,
        "Reactivate",
        "Reactivate",
        lambda by, m, d: services.membership_reactivate(by=by, membership=m, reason=d["reason"]),
    ),
    "second_factor": (
        ReasonForm,
        "Reset two-factor sign-in",
        "Reset two-factor",
        lambda by, m, d: services.user_reset_second_factor(by=by, member=m, reason=d["reason"]),
    ),
    "unlock": (
        ReasonForm,
        "Lift the sign-in lock",
        "Lift lock",
        lambda by, m, d: throttle.sign_in_unlock(by=by, member=m, reason=d["reason"]),
    ),
    "password": (
        TemporaryPasswordForm,
        "Set a temporary password",
        "Set temporary password",
        lambda by, m, d: services.user_set_temporary_password(
            by=by, member=m, password=d["temporary_password"], reason=d["reason"]
        ),
    ),
}
_DONE = {
    "role": "Role changed.",
    "deactivate": "Deactivated: they lose access to this clinic from their next request.",
    "reactivate": "Reactivated.",
    "second_factor": "Two-factor sign-in reset: they set up an authenticator at their next sign-in.",
    "password": "Temporary password set: they must replace it at their next sign-in.",
    "unlock": "Sign-in lock lifted: they can sign in again.",
}


def _change_problems(
    admin: Membership, member: Membership, form: StepUpForm
) -> dict[str, list[str]]:
    if not form.is_bound:  # an empty POST: the form is shown again, nothing checked
        return {}
    form.is_valid()  # fills cleaned_data with the fields that are valid
    return staff_checks.staff_change_problems(
        by=admin,
        member=member,
        role=form.cleaned_data.get("role"),
        password=form.cleaned_data.get("temporary_password"),
    )


def _staff_action(request: ClinicRequest, membership_id: int, action: str) -> HttpResponse:
    """The shared shape of a staff change: this clinic's member (404 otherwise), an admin (403
    otherwise), the form with a reason, step-up, then the service."""
    admin = membership_of(request)
    member = selectors.get_member_for_admin(membership=admin, membership_id=membership_id)
    form_class, title, button, call = _STAFF_ACTIONS[action]
    initial = {"role": member.role} if action == "role" else None
    form = form_class(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and _checked(form, _change_problems(admin, member, form))
        and _stepped_up(request, form, f"staff.{action}")
    ):
        done = run_service(form, lambda: call(admin, member, form.cleaned_data) or True)
        if done is not None:
            messages.success(request, _DONE[action])
            return redirect("accounts:staff_detail", membership_id=member.pk)
    context = {"form": form, "member": member, "title": title, "button": button}
    return render(request, "accounts/staff_action.html", context)


def staff_role(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "role")


def staff_deactivate(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "deactivate")


def staff_reactivate(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "reactivate")


def staff_second_factor(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "second_factor")


def staff_password(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "password")


def staff_unlock(request: ClinicRequest, membership_id: int) -> HttpResponse:
    return _staff_action(request, membership_id, "unlock")


def clinic_settings(request: ClinicRequest) -> HttpResponse:
    admin = _admin(request)
    clinic = admin.clinic
    initial = {f: getattr(clinic, f) for f in services.CLINIC_FIELDS}
    form = ClinicSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in services.CLINIC_FIELDS}
        updated = run_service(
            form,
            lambda: services.clinic_update(by=admin, reason=form.cleaned_data["reason"], **data),
        )
        if updated is not None:
            messages.success(request, "Clinic settings saved.")
            return redirect("accounts:clinic_settings")
    if form.errors:
        labels = [
            str(form.fields[name].label) if name in form.fields else "Form" for name in form.errors
        ]
        messages.error(request, f"Not saved; check: {', '.join(labels)}.")
    return render(request, "accounts/clinic_settings.html", {"form": form})


def my_account(request: ClinicRequest) -> HttpResponse:
    user = _user(request)
    context = {"own_memberships": selectors.all_memberships_for_user(user)}
    return render(request, "accounts/my_account.html", context)


@clinic_exempt
@password_change_exempt
def password_change(request: ClinicRequest) -> HttpResponse:
    """Change one's own password; the only page reachable while ``must_change_password`` is set."""
    user = _user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = run_service(
            form,
            lambda: services.user_change_password(
                user=user,
                current_password=data["current_password"],
                new_password=data["new_password1"],
                by=getattr(request, "membership", None),
            ),
        )
        if changed is not None:
            update_session_auth_hash(request, changed)  # this session stays; the others end
            messages.success(request, "Your password is changed. Your other sessions have ended.")
            return redirect("accounts:me")
    context = {"form": form, "forced": user.must_change_password}
    return render(request, "accounts/password_change.html", context)


@require_POST
def sessions_end(request: ClinicRequest) -> HttpResponse:
    """Sign out everywhere: every server-side session of this user ends, this one included."""
    user = _user(request)
    services.user_sessions_end(user=user, by=membership_of(request))
    logout(request)
    messages.info(request, "You are signed out on every device.")
    return redirect(settings.LOGOUT_REDIRECT_URL)
