"""Surveillance forms: an item done (kind, date, result, note), a record entered in error, the
clinic's intervals. The service checks the date and the result against the kind."""

from __future__ import annotations

from django import forms

from ketaclinic.surveillance.models import KIND_CHOICES, Result
from ketaclinic.surveillance.rules.due import (
    MAX_INDUCTION_WEEKS,
    MAX_INTERVAL_WEEKS,
    MIN_INTERVAL_WEEKS,
)


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label="What was done", choices=KIND_CHOICES)
    done_on = forms.DateField(
        label="Date done (clinic date)", widget=forms.DateInput(attrs={"type": "date"})
    )
    result = forms.ChoiceField(
        label="Result",
        choices=[("", "Choose a result"), *Result.choices],
        help_text="Tests: normal or abnormal. Review of benefit: continue or reconsider.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why is this record in error?", max_length=500, widget=forms.TextInput()
    )


def _weeks(label: str, high: int = MAX_INTERVAL_WEEKS) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=MIN_INTERVAL_WEEKS, max_value=high, help_text=f"1-{high} weeks"
    )


class PolicyForm(forms.Form):
    urinary_interval_weeks = _weeks("Urinary-symptom questionnaire and urinalysis: every (weeks)")
    liver_interval_weeks = _weeks("Liver function tests, repeated-dose programmes: every (weeks)")
    induction_weeks = _weeks(
        "Review of benefit: end of induction (weeks after the course start)", MAX_INDUCTION_WEEKS
    )
    review_interval_weeks = _weeks("Review of benefit: then every (weeks)")
    escalation_percent = forms.IntegerField(
        label="Dose escalation flag: rise above (% of the first dose)",
        min_value=1,
        max_value=500,
        help_text="1-500 %",
    )
