from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.permissions import Perm, Role, role_can
from ketaclinic.lib.dea import dea_number_problem

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{value!r} is not an IANA time zone; use a name such as America/New_York"
        )


def validate_dea_number(value: str) -> None:
    problem = dea_number_problem(value)
    if problem:
        raise ValidationError(f"DEA registration number {problem}")


def validate_opening_days(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
        raise ValidationError("Opening days must be a list of weekday numbers 0 (Mon) to 6 (Sun)")


def default_opening_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class Clinic(models.Model):
    """A site. Every clinical object belongs to exactly one clinic."""

    code = models.SlugField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # ISO 3166-1 alpha-2: the region in which phone numbers without a country code are read.
    country = models.CharField("Country code", max_length=2, default="US")
    dea_number = models.CharField(
        "DEA registration number", max_length=9, blank=True, validators=[validate_dea_number]
    )
    rems_setting_id = models.CharField("REMS healthcare setting ID", max_length=64, blank=True)
    # The setting's SPRAVATO REMS certification [REMS]: blank/None = not recorded.
    rems_certified_on = models.DateField("REMS certification date", null=True, blank=True)
    rems_pulse_oximeter_on_site = models.BooleanField(
        "Pulse oximeter on site", null=True, blank=True
    )
    rems_authorised_representative = models.CharField(
        "REMS authorised representative", max_length=200, blank=True
    )
    opening_days = models.JSONField(
        default=default_opening_days, validators=[validate_opening_days]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def opening_days_display(self) -> str:
        return ", ".join(WEEKDAYS[d] for d in sorted(self.opening_days))


class User(AbstractUser):
    """A staff member. Credentials are personal (21 CFR 11.300): a login is never shared."""

    printed_name = models.CharField(
        max_length=200, blank=True, help_text="Name shown on signatures, e.g. 'Dana Reyes, MD'"
    )
    # Set when a clinic admin chose the password (a new account, a reset): the user must choose
    # their own before any other page (PasswordChangeRequiredMiddleware).
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.printed_name or self.get_full_name() or self.username


class Membership(models.Model):
    """A user's role in one clinic. Deactivated, never deleted, so the audit trail keeps its meaning."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} at {self.clinic_id}"

    def can(self, perm: Perm) -> bool:
        return self.is_active and role_can(self.role, perm)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class SignInLock(models.Model):
    """Sign-in refused for a username, whatever the address (OWASP ASVS 2.2.1): set when failures
    for that username from any number of addresses reach ``KETACLINIC_LOGIN_USERNAME_LIMIT``
    within the cool-off window. Keyed by the typed username (existing or not), so a lock says
    nothing about which accounts exist. Ends at ``locked_until`` or when a clinic admin lifts it
    on the staff page (``lifted_at``); failures before a lift no longer count."""

    username = models.CharField(max_length=150, unique=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in lock {self.pk}"


class UserSession(AbstractBaseSession):
    """A server-side session (``accounts.sessions.SessionStore``) with the signed-in user and the
    verified TOTP device as columns, written from the session data on every save, so that one
    joined query reads the session, the user, the device and the active memberships on each
    request (issue 15). The device is not a constraint: a removed device leaves an id that joins
    to nothing, which reads as "not verified" at the next request."""

    user = models.ForeignKey(
        User, null=True, on_delete=models.CASCADE, related_name="+", db_index=True
    )
    otp_device = models.ForeignKey(
        TOTPDevice, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        # For get_decoded(): decoding is the same in every database store; accounts.sessions
        # (the configured store) imports this module, so it is not named here (no import cycle).
        return DatabaseSessionStore
