"""Screening forms. A yes/no question has a third answer, "Not assessed", which the rules read as
unanswered (never as "no")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ketaclinic.screening import rules
from ketaclinic.screening.models import SubstanceScreen, TrialResponse

YES_NO = [("", "Not assessed"), ("yes", "Yes"), ("no", "No")]
HEPATIC = [("", "Not assessed")] + [(g, g.capitalize()) for g in rules.HEPATIC_GRADES]
ASKED_BOOLS = [name for name, fact in rules.FACTS.items() if fact.kind == "bool"]


class ScreeningForm(forms.Form):
    version = forms.TypedChoiceField(label="Intended protocol", coerce=int)
    diagnosis_icd10 = forms.CharField(label="Diagnosis code (ICD-10-CM)", max_length=8)
    diagnosis_text = forms.CharField(label="Diagnosis", max_length=200)
    systolic_mmhg = forms.IntegerField(
        label="Systolic blood pressure (mmHg)", min_value=60, max_value=280, required=False
    )
    diastolic_mmhg = forms.IntegerField(
        label="Diastolic blood pressure (mmHg)", min_value=30, max_value=180, required=False
    )
    bp_measured_at = forms.DateTimeField(
        label="Blood pressure measured at (clinic time)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    hepatic_impairment = forms.ChoiceField(
        label="Hepatic impairment", choices=HEPATIC, required=False
    )
    psychotherapy_history = forms.CharField(
        label="Psychotherapy history", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    substance_screen = forms.ChoiceField(
        label="Substance-use screening instrument", choices=SubstanceScreen.choices, required=False
    )
    substance_screen_score = forms.IntegerField(
        label="Substance-use screening score", min_value=0, max_value=12, required=False
    )
    baseline_scales = forms.TypedMultipleChoiceField(
        label="Baseline rating scales", coerce=int, required=False
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self,
        *args: Any,
        versions: list[tuple[int, str]],
        scales: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = versions  # type: ignore[attr-defined]
        self.fields["baseline_scales"].choices = scales  # type: ignore[attr-defined]
        for name in ASKED_BOOLS:
            self.fields[name] = forms.ChoiceField(
                label=rules.FACTS[name].label, choices=YES_NO, required=False
            )

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        answers: dict[str, Any] = {
            name: {"yes": True, "no": False}.get(d.get(name) or "") for name in ASKED_BOOLS
        }
        answers["hepatic_impairment"] = d.get("hepatic_impairment") or None
        answers["systolic_mmhg"] = d.get("systolic_mmhg")
        answers["diastolic_mmhg"] = d.get("diastolic_mmhg")
        return answers


class PriorTrialForm(forms.Form):
    drug = forms.CharField(max_length=100, required=False)
    dose_mg_per_day = forms.DecimalField(
        label="Dose (mg/day)", min_value=Decimal("0.1"), max_value=Decimal("6000"), required=False
    )
    weeks = forms.IntegerField(label="Weeks", min_value=1, max_value=520, required=False)
    adequate = forms.BooleanField(label="Adequate dose and duration", required=False)
    current_episode = forms.BooleanField(label="In the current episode", required=False)
    response = forms.ChoiceField(choices=[("", "Choose"), *TrialResponse.choices], required=False)

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("drug") and (not d.get("dose_mg_per_day") or not d.get("weeks")):
            raise forms.ValidationError("Give the dose and the duration of this trial.")
        if d.get("drug") and not d.get("response"):
            raise forms.ValidationError("Choose the response to this trial.")
        return d


PriorTrialFormSet = forms.formset_factory(PriorTrialForm, extra=4, max_num=12)


class OverrideForm(forms.Form):
    justification = forms.CharField(
        label="Clinical justification", widget=forms.Textarea(attrs={"rows": 3})
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Your password")
    token = forms.CharField(label="Authenticator code", max_length=8)


class RemsEnrolForm(forms.Form):
    enrolled_on = forms.DateField(
        label="Enrolled on", widget=forms.DateInput(attrs={"type": "date"})
    )
    rems_patient_id = forms.CharField(label="REMS patient ID", max_length=64)


# --------------------------------------------------------------------------------------------------
# The clinic's screening settings and REMS certification (clinic admin)

RULE_LEVEL_CHOICES = [
    (rules.Level.RELATIVE.value, "Relative contraindication: not eligible unless overridden"),
    (rules.Level.PRECAUTION.value, "Precaution: eligible, shown to the prescriber"),
    (rules.Level.OFF.value, "Not applied by this clinic"),
]


def rule_title(rule_id: str) -> str:
    """A rule's name in words ("uncontrolled_hypertension" -> "Uncontrolled hypertension")."""
    return rule_id.replace("_", " ").capitalize()


class PolicyForm(forms.Form):
    valid_days = forms.IntegerField(
        label="A screening stays valid for enrolment for (days)",
        min_value=1,
        max_value=365,
        help_text="1 to 365 days; 90 by default.",
    )

    def __init__(self, *args: Any, levels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule_ids = []
        for rule in rules.DEFAULT_RULESET.rules:
            if not rule.configurable:
                continue
            self.rule_ids.append(rule.rule_id)
            self.fields[f"rule_{rule.rule_id}"] = forms.ChoiceField(
                label=rule_title(rule.rule_id),
                choices=RULE_LEVEL_CHOICES,
                initial=levels.get(rule.rule_id, rule.level.value),
                help_text=f"{rule.reason} Source: {rule.source}",
            )

    def levels(self) -> dict[str, str]:
        """Only the rules set to another level than the shipped one."""
        shipped = {r.rule_id: r.level.value for r in rules.DEFAULT_RULESET.rules}
        return {
            rule_id: self.cleaned_data[f"rule_{rule_id}"]
            for rule_id in self.rule_ids
            if self.cleaned_data[f"rule_{rule_id}"] != shipped[rule_id]
        }


OXIMETER = [("", "Not recorded"), ("yes", "Yes"), ("no", "No")]


class RemsCertificationForm(forms.Form):
    setting_id = forms.CharField(label="REMS healthcare setting ID", max_length=64, required=False)
    certified_on = forms.DateField(
        label="Certified on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Not before 2019-03-05, when the SPRAVATO REMS began; not in the future.",
    )
    pulse_oximeter_on_site = forms.ChoiceField(
        label="Pulse oximeter on site", choices=OXIMETER, required=False
    )
    authorised_representative = forms.CharField(
        label="Authorised representative", max_length=200, required=False
    )
    reason = forms.CharField(label="Why this changes", max_length=500)

    def oximeter(self) -> bool | None:
        value = self.cleaned_data.get("pulse_oximeter_on_site") or ""
        return None if value == "" else value == "yes"
