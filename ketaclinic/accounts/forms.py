from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from ketaclinic.accounts import throttle
from ketaclinic.accounts.models import WEEKDAYS
from ketaclinic.accounts.permissions import Role


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="6-digit code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a username locked across addresses before any password
    is tested (so a locked username is no password oracle)."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        if username and throttle.username_locked(username):
            raise ValidationError(throttle.USERNAME_LOCKED, code="locked")
        return super().clean()


class ClinicSwitchForm(forms.Form):
    # Bounded to the database's integer range: a larger number is "no such clinic", not a 500.
    clinic_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)


# --------------------------------------------------------------------------------------------------
# Account management.

ROLE_CHOICES = [(r.value, r.label) for r in Role]
ROLE_REQUIRED = "Choose a role: " + ", ".join(r.label for r in Role) + "."


def role_field(label: str) -> forms.ChoiceField:
    """A required role with a blank first option: nothing is pre-selected (issue 14, finding 6).
    Choices are exact ("NURSE" is not "nurse")."""
    return forms.ChoiceField(
        label=label,
        choices=[("", "Choose a role"), *ROLE_CHOICES],
        error_messages={
            "required": ROLE_REQUIRED,
            "invalid_choice": "%(value)s is not a role. " + ROLE_REQUIRED,
        },
    )


REASON_HELP = "Kept with the old and new values in the audit trail."


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


class StepUpForm(forms.Form):
    """The acting admin's own password and a current code, asked again for every account change
    (``accounts.services.reauthenticate``)."""

    your_password = forms.CharField(
        label="Your password",
        strip=False,
        widget=_password_input("current-password"),
        help_text="Your own password, to confirm it is you.",
    )
    your_code = forms.RegexField(
        label="Your 6-digit code",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ReasonForm(StepUpForm):
    reason = forms.CharField(label="Reason", max_length=500, help_text=REASON_HELP)
    field_order = ["reason", "your_password", "your_code"]


class RoleChangeForm(ReasonForm):
    role = role_field("New role")
    field_order = ["role", "reason", "your_password", "your_code"]


class TemporaryPasswordForm(ReasonForm):
    temporary_password = forms.CharField(
        label="Temporary password",
        strip=False,
        widget=_password_input("new-password"),
        help_text="At least 12 characters, not a common password. Give it to the person in "
        "private; they must replace it when they next sign in.",
    )
    field_order = ["temporary_password", "reason", "your_password", "your_code"]


class StaffAddForm(StepUpForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="One person, one login (21 CFR 11.300). If this username already exists, that "
        "person is given a role in this clinic instead.",
    )
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    printed_name = forms.CharField(
        label="Printed name",
        max_length=200,
        required=False,
        help_text="As shown on signatures, e.g. 'Dana Reyes, MD'.",
    )
    email = forms.EmailField(label="Email", required=False)
    role = role_field("Role")
    temporary_password = TemporaryPasswordForm.base_fields["temporary_password"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No maxlength attribute: a browser would cut a long pasted name silently; the field's
        # max_length check says "at most N characters" instead (issue 14, finding 7).
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    field_order = [
        "username",
        "first_name",
        "last_name",
        "printed_name",
        "email",
        "role",
        "temporary_password",
        "your_password",
        "your_code",
    ]


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label="Current password", strip=False, widget=_password_input("current-password")
    )
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=_password_input("new-password"),
        help_text="At least 12 characters; not a common or all-digit password, and not like your "
        "name or username.",
    )
    new_password2 = forms.CharField(
        label="New password again", strip=False, widget=_password_input("new-password")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "The two new passwords differ.")
        return data


class ClinicSettingsForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    address = forms.CharField(
        label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="An IANA name such as America/New_York; times are shown in this zone.",
    )
    country = forms.ChoiceField(
        label="Country (for phone numbers)",
        choices=[
            (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
            for region in sorted(phonenumbers.SUPPORTED_REGIONS)
        ],
        help_text="Phone numbers typed without + and a country code are read as numbers of this "
        "country (ISO 3166-1 two-letter code, e.g. US, CA, GB).",
    )
    dea_number = forms.CharField(
        label="DEA registration number",
        max_length=9,
        required=False,
        help_text="Two letters and seven digits, e.g. AB1234563.",
    )
    rems_setting_id = forms.CharField(
        label="REMS healthcare setting ID", max_length=64, required=False
    )
    opening_days = forms.TypedMultipleChoiceField(
        label="Opening days",
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one opening day."},
    )
    reason = forms.CharField(label="Reason for change", max_length=500, help_text=REASON_HELP)

    def clean_dea_number(self) -> str:
        return str(self.cleaned_data["dea_number"]).strip().upper()
