"""The token page's form: a name, a lifetime, and the step-up (own password and a current code)."""

from __future__ import annotations

from django import forms

from ketaclinic.accounts.forms import StepUpForm
from ketaclinic.api.tokens import DEFAULT_DAYS, MAX_DAYS


class TokenCreateForm(StepUpForm):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What will use it, e.g. 'Outcomes dashboard'."
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"1 to {MAX_DAYS} days.",
    )
    field_order = ["name", "days", "your_password", "your_code"]
