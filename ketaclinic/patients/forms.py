from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from ketaclinic.patients.models import AllergySeverity, Patient
from ketaclinic.patients.services import DIFFERENT_PERSON_LABEL, PATIENT_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def without_maxlength(form: forms.BaseForm) -> None:
    """Drop the ``maxlength`` attribute Django puts on text inputs: with it a browser cuts a
    pasted long name to the limit without a word (issue 14, finding 7). The field's own
    ``max_length`` check stays, so the form says "at most N characters (it has M)" instead."""
    for field in form.fields.values():
        field.widget.attrs.pop("maxlength", None)


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = list(PATIENT_FIELDS)
        widgets = {
            "date_of_birth": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "phone": "A number of the clinic's country, or + and the country code for another "
            "country; kept in international form (for example +12015550123).",
            "emergency_contact_phone": "As for the patient's phone.",
            "hepatic_impairment": "Moderate lengthens the observation after dosing where the "
            "protocol says so; severe needs a prescriber's override to dose esketamine (PI 8.6).",
        }
        error_messages = {
            "date_of_birth": {
                "invalid": "Enter a real calendar date as YYYY-MM-DD (for example 1980-02-29 "
                "does not exist)."
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_maxlength(self)
        # Not asked yet is "unknown" (the model's default), never an error of the whole form.
        self.fields["hepatic_impairment"].required = False

    def clean_hepatic_impairment(self) -> str:
        value = self.cleaned_data.get("hepatic_impairment")
        if value:
            return str(value)
        return str(self.instance.hepatic_impairment if self.instance.pk else "unknown")

    def _post_clean(self) -> None:
        # Model validation and uniqueness run in the service, which knows the clinic.
        pass


class PatientCreateForm(PatientForm):
    different_person = forms.BooleanField(
        label=DIFFERENT_PERSON_LABEL,
        required=False,
        help_text="Tick only after checking the patients listed above: same name and date of "
        "birth, but not the same person.",
    )


class PatientEditForm(PatientForm):
    reason = forms.CharField(
        label="Reason for change",
        max_length=500,
        help_text="Kept with the old values in the audit trail.",
    )


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read in the clinic's time zone and stored as UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def __init__(self, *, tz: ZoneInfo | None = None, **kwargs: Any) -> None:
        self.tz = tz
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is not None and self.tz is not None:
            result = result.replace(tzinfo=None).replace(tzinfo=self.tz)
        return result


class _MeasurementForm(forms.Form):
    units: tuple[str, ...] = ()
    value = forms.DecimalField(max_digits=6, decimal_places=1, min_value=Decimal("0.1"))
    unit = forms.ChoiceField()
    measured_at = forms.DateTimeField(label="Measured at")

    def __init__(self, *args: Any, tz: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u, u) for u in self.units]  # type: ignore[attr-defined]
        self.fields["measured_at"] = LocalDateTimeField(tz=tz, label="Measured at")
        if not self.is_bound:
            self.initial.setdefault(
                "measured_at", timezone.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M")
            )
            self.initial.setdefault("unit", self.units[0])


class WeightForm(_MeasurementForm):
    units = ("kg", "lb")
    value = forms.DecimalField(
        label="Weight", max_digits=6, decimal_places=1, help_text="20-400 kg (44.1-881.8 lb)"
    )


class HeightForm(_MeasurementForm):
    units = ("cm", "in")
    value = forms.DecimalField(label="Height", max_digits=5, decimal_places=1)


class CorrectionMixin(forms.Form):
    reason = forms.CharField(label="Reason for correction", max_length=500)


class WeightCorrectionForm(WeightForm, CorrectionMixin):
    pass


class HeightCorrectionForm(HeightForm, CorrectionMixin):
    pass


class DiagnosisForm(forms.Form):
    icd10_code = forms.CharField(label="ICD-10-CM code", max_length=8)
    text = forms.CharField(label="Diagnosis", max_length=200)
    diagnosed_on = forms.DateField(label="Diagnosed on", required=False, widget=DATE_WIDGET)


class AllergyForm(forms.Form):
    substance = forms.CharField(max_length=200)
    reaction = forms.CharField(max_length=200, required=False)
    severity = forms.ChoiceField(choices=AllergySeverity.choices, initial=AllergySeverity.UNKNOWN)


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=200)
    dose_text = forms.CharField(label="Dose and frequency", max_length=200, required=False)
    started_on = forms.DateField(label="Started on", required=False, widget=DATE_WIDGET)
    is_benzodiazepine = forms.BooleanField(label="Benzodiazepine", required=False)
    is_non_benzo_sedative = forms.BooleanField(
        label="Non-benzodiazepine sedative-hypnotic", required=False
    )
    is_psychostimulant = forms.BooleanField(label="Psychostimulant", required=False)
    is_maoi = forms.BooleanField(label="MAOI", required=False)
    is_opioid = forms.BooleanField(label="Opioid", required=False)


class MedicationStopForm(forms.Form):
    stopped_on = forms.DateField(label="Stopped on", widget=DATE_WIDGET)
    reason = forms.CharField(max_length=500, required=False)


class InErrorForm(forms.Form):
    reason = forms.CharField(label="Why was this entry wrong?", max_length=500)
