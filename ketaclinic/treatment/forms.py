"""Forms of the treatment pages. They parse input; the services decide."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from ketaclinic.audit.models import SignatureMeaning
from ketaclinic.patients.forms import DATE_WIDGET, LocalDateTimeField
from ketaclinic.treatment.domain import amendment
from ketaclinic.treatment.domain.protocol import DeviceRule
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS
from ketaclinic.treatment.domain.rems import FIELD_LABELS
from ketaclinic.treatment.models import (
    AdverseEventType,
    AeOutcome,
    AeSeverity,
    DecisionOutcome,
    ObservationCode,
    PregnancyStatus,
    ProtocolVersion,
)

YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


def _now_local(tz: ZoneInfo) -> str:
    return timezone.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M")


class EnrolForm(forms.Form):
    version = forms.ModelChoiceField(
        label="Protocol", queryset=ProtocolVersion.objects.none(), empty_label=None
    )
    start_date = forms.DateField(label="First session", widget=DATE_WIDGET)
    session_time = forms.TimeField(
        label="Session time (clinic time)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    chair = forms.CharField(
        label="Chair or room",
        max_length=32,
        required=False,
        help_text="The calendar skips the clinic's closed days (Clinic closures page).",
    )
    decision_note = forms.CharField(
        label="Prescriber's decision to treat",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Screening is not yet in ketaclinic: record why this patient is enrolled.",
    )
    concomitant_antidepressant = forms.CharField(
        label="Concomitant oral antidepressant",
        max_length=200,
        required=False,
        help_text="Drug and daily dose. Required where the protocol is given with one "
        "(esketamine for depression with acute suicidal ideation).",
    )
    confirm_another_course = forms.BooleanField(
        label="Enrol although the patient has an active course of this protocol",
        required=False,
        help_text="Prescriber's confirmation; give the reason below.",
    )
    another_course_reason = forms.CharField(
        label="Why a second active course", max_length=500, required=False
    )

    def __init__(self, *args: Any, versions: list[ProtocolVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["version"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = ProtocolVersion.objects.filter(pk__in=[v.pk for v in versions])
        field.label_from_instance = lambda obj: f"{obj.title} (v{obj.number})"  # type: ignore[method-assign]  # a label per instance, as Django documents


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500)


class ClosureForm(forms.Form):
    date = forms.DateField(label="Date the clinic is closed", widget=DATE_WIDGET)
    reason = forms.CharField(label="Reason", max_length=200)


class ClosureCancelForm(forms.Form):
    reason = forms.CharField(label="Why the clinic opens after all", max_length=200)


class MoveForm(ReasonForm):
    new_date = forms.DateField(label="New date", widget=DATE_WIDGET)
    new_time = forms.TimeField(
        label="New time", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


class CheckInForm(forms.Form):
    chair = forms.CharField(label="Chair or room", max_length=32, required=False)


class ChecklistForm(forms.Form):
    fasting_confirmed = forms.BooleanField(
        label="Fasting: no food for 2 h, no liquids for 30 min", required=False
    )
    ride_home_confirmed = forms.BooleanField(label="Ride home confirmed", required=False)
    nasal_medication_timing_ok = forms.ChoiceField(
        label="Nasal steroid or decongestant at least 1 h before (esketamine)",
        choices=[("", "Not applicable"), ("yes", "Yes"), ("no", "No")],
        required=False,
    )
    pregnancy_status = forms.ChoiceField(label="Pregnancy status", choices=PregnancyStatus.choices)
    scales_reviewed = forms.BooleanField(label="Today's rating scales reviewed", required=False)
    systolic_mmhg = forms.IntegerField(label="Systolic (mmHg)")
    diastolic_mmhg = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate = forms.IntegerField(label="Heart rate (/min)")
    spo2 = forms.IntegerField(label="SpO2 (%)")
    respiratory_rate = forms.IntegerField(label="Respiratory rate (breaths/min)")
    moaa_s = forms.IntegerField(
        label="MOAA/S (0-5)",
        help_text="Assess it now: 5 answers readily to name ... 0 no response. Never assumed.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ChecklistAgainForm(forms.Form):
    """The checklist's answers recorded again before dosing, with a reason (the vitals are
    readings: a new one is recorded in Monitoring)."""

    fasting_confirmed = ChecklistForm.base_fields["fasting_confirmed"]
    ride_home_confirmed = ChecklistForm.base_fields["ride_home_confirmed"]
    nasal_medication_timing_ok = ChecklistForm.base_fields["nasal_medication_timing_ok"]
    pregnancy_status = ChecklistForm.base_fields["pregnancy_status"]
    scales_reviewed = ChecklistForm.base_fields["scales_reviewed"]
    notes = ChecklistForm.base_fields["notes"]
    reason = forms.CharField(label="Why the checklist is recorded again", max_length=500)


class DecisionForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(widget=forms.HiddenInput, required=False)
    outcome = forms.ChoiceField(choices=DecisionOutcome.choices)
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class DoseForm(forms.Form):
    dose_mg = forms.DecimalField(label="Dose (mg)", max_digits=8, decimal_places=3, required=False)
    amount = forms.DecimalField(
        label="Dose (in the protocol's unit)",
        max_digits=8,
        decimal_places=3,
        required=False,
        help_text="mg/kg, or mg/kg/h for an infusion rate; empty: the protocol's usual dose.",
    )
    concentration_mg_per_ml = forms.DecimalField(
        label="Stock concentration (mg/mL)",
        max_digits=8,
        decimal_places=3,
        required=False,
        help_text="The vial the dose is drawn from (e.g. 10, 50 or 100 mg/mL).",
    )
    # IV only (the session template shows these for IV protocols): the bag or syringe the stock
    # is diluted in; the pump rate follows from its final concentration.
    iv_container = forms.ChoiceField(
        label="Prepared in",
        choices=[("", "—"), ("bag", "Bag"), ("syringe", "Syringe")],
        required=False,
    )
    iv_final_concentration_mg_per_ml = forms.DecimalField(
        label="Final concentration (mg/mL)",
        max_digits=9,
        decimal_places=4,
        required=False,
        help_text="In the bag or syringe; at most 50 mg/mL, never the undiluted 100 mg/mL vial.",
    )
    iv_final_volume_ml = forms.DecimalField(
        label="Final volume (mL)",
        max_digits=8,
        decimal_places=1,
        required=False,
        help_text="Or the volume of the bag or syringe (e.g. 100 mL); the other follows.",
    )
    product = forms.CharField(max_length=200, required=False)
    lot_number = forms.CharField(label="Lot number", max_length=64, required=False)
    expiry_date = forms.DateField(label="Expiry date", widget=DATE_WIDGET, required=False)
    override_reason = forms.CharField(
        label="Override reason (prescriber)", max_length=500, required=False
    )
    # The witness signs off on this device with their own credentials (never a pick from a list).
    witness_username = forms.CharField(
        label="Witness username",
        max_length=150,
        required=False,
        help_text="The witness types their own username, password and code.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    witness_password = forms.CharField(
        label="Witness password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_token = forms.CharField(
        label="Witness 6-digit code",
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        tz: ZoneInfo,
        esketamine: bool,
        devices: DeviceRule | None = None,
        device_doses_mg: Sequence[Decimal] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if devices is not None and devices.unit != "device":
            # Intranasal racemic sprays, timed one by one like the esketamine devices
            # (Lapidus 2014: five 10 mg sprays 5 min apart; clinical.md 13).
            for name in (
                "amount",
                "concentration_mg_per_ml",
                "iv_container",
                "iv_final_concentration_mg_per_ml",
                "iv_final_volume_ml",
            ):
                del self.fields[name]
            per = devices.mg_per_device
            counts = [int(mg / per) for mg in device_doses_mg]
            self.fields["dose_mg"] = forms.TypedChoiceField(
                label="Dose",
                choices=[
                    (str(mg), f"{mg} mg ({n} {devices.unit}s)")
                    for mg, n in zip(device_doses_mg, counts, strict=True)
                ],
                coerce=Decimal,
            )
            for i in range(1, max(counts, default=1) + 1):
                self.fields[f"device_{i}_at"] = LocalDateTimeField(
                    tz=tz,
                    label=f"{devices.unit.capitalize()} {i} given at",
                    required=i <= min(counts, default=1),
                )
        elif esketamine:
            for name in (
                "amount",
                "concentration_mg_per_ml",
                "iv_container",
                "iv_final_concentration_mg_per_ml",
                "iv_final_volume_ml",
            ):
                del self.fields[name]
            self.fields["dose_mg"] = forms.TypedChoiceField(
                label="Dose",
                choices=[("56", "56 mg (2 devices)"), ("84", "84 mg (3 devices)")],
                coerce=Decimal,
            )
            for i in (1, 2, 3):
                self.fields[f"device_{i}_at"] = LocalDateTimeField(
                    tz=tz, label=f"Device {i} given at", required=i < 3
                )
        else:
            del self.fields["dose_mg"]
            self.fields["started_at"] = LocalDateTimeField(
                tz=tz, label="Dosing started at", required=False, help_text="Empty: now."
            )
        # The witness fields last, after the dose they sign for.
        for name in ("witness_username", "witness_password", "witness_token"):
            self.fields[name] = self.fields.pop(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("witness_username"):
            for name, label in (("witness_password", "password"), ("witness_token", "code")):
                if not data.get(name):
                    self.add_error(name, f"The witness enters their {label}.")
        elif data.get("witness_password") or data.get("witness_token"):
            self.add_error("witness_username", "The witness enters their username.")
        return data


class ObservationForm(forms.Form):
    code = forms.ChoiceField(label="Measurement", choices=ObservationCode.choices)
    systolic_mmhg = forms.IntegerField(label="Systolic (mmHg)", required=False)
    diastolic_mmhg = forms.IntegerField(label="Diastolic (mmHg)", required=False)
    value = forms.IntegerField(label="Value", required=False)
    text = forms.CharField(label="Text", required=False, max_length=1000)

    def __init__(self, *args: Any, tz: ZoneInfo, prefill: str | None = None, **kwargs: Any) -> None:
        """``prefill``: a measurement code chosen with one tap from a due monitoring row; the
        form starts on it with the time filled in as now, marked as filled in."""
        super().__init__(*args, **kwargs)
        help_text = "Empty: now."
        self.prefilled = bool(prefill) and prefill in ObservationCode.values
        if self.prefilled and not self.is_bound:
            self.initial["code"] = prefill
            self.initial["measured_at"] = _now_local(tz)
            help_text = (
                "Filled in as now when you opened this form: change it if the reading was "
                "taken at another time."
            )
        self.fields["measured_at"] = LocalDateTimeField(
            tz=tz, label="Measured at", required=False, help_text=help_text
        )


_CHOOSE = ("", "Choose…")


class AdverseEventForm(forms.Form):
    # Nothing pre-selected: a clinical answer is chosen, never defaulted (issue 14, finding 4).
    event_type = forms.ChoiceField(label="Type", choices=[_CHOOSE, *AdverseEventType.choices])
    severity = forms.ChoiceField(label="Severity", choices=[_CHOOSE, *AeSeverity.choices])
    serious = forms.BooleanField(label="Serious", required=False)
    action_taken = forms.CharField(label="Action taken", max_length=500)
    outcome = forms.ChoiceField(label="Outcome", choices=[_CHOOSE, *AeOutcome.choices])
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )


class DischargeForm(forms.Form):
    criteria = forms.MultipleChoiceField(
        label="Discharge criteria", widget=forms.CheckboxSelectMultiple, required=False
    )
    escort = forms.CharField(label="Escort or ride home", max_length=200)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    minutes_until_ready_without_rule = forms.IntegerField(
        label="REMS: minutes until the patient would have been ready without the 2-hour rule",
        required=False,
        min_value=0,
    )
    hcp_phone = forms.CharField(label="Monitoring HCP phone", max_length=32, required=False)
    hcp_email = forms.EmailField(label="Monitoring HCP email", required=False)

    def __init__(
        self, *args: Any, criteria: list[tuple[str, str]], esketamine: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criteria"].choices = criteria  # type: ignore[attr-defined]
        if not esketamine:
            for name in ("minutes_until_ready_without_rule", "hcp_phone", "hcp_email"):
                del self.fields[name]


class PmfFillForm(forms.Form):
    """The PMF fields still missing, as text inputs (yes/no for flags)."""

    _YES_NO_FIELDS = (
        "takes_",
        "vitals_",
        "sedation",
        "dissociation",
        "first_treatment",
        "patient_enrolled",
        "respiratory_status",
        "pulse_oximetry",
        "serious_adverse",
    )

    def __init__(self, *args: Any, missing: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in missing:
            label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
            if name.startswith(self._YES_NO_FIELDS):
                self.fields[name] = forms.ChoiceField(label=label, choices=YES_NO)
            elif name == "lowest_spo2_percent":
                # A measured value: the plausible range of an SpO2 reading (monitoring).
                self.fields[name] = forms.IntegerField(label=label, min_value=1, max_value=100)
            else:
                self.fields[name] = forms.CharField(label=label, max_length=200)


class SignForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    token = forms.CharField(
        label="6-digit code",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    meaning = forms.ChoiceField(
        label="Meaning of this signature",
        choices=[
            (SignatureMeaning.RESPONSIBILITY.value, SignatureMeaning.RESPONSIBILITY.label),
            (SignatureMeaning.APPROVAL.value, SignatureMeaning.APPROVAL.label),
        ],
    )


def _amend_value_field(spec: amendment.FieldSpec) -> forms.Field:
    """The form field a value is typed in at entry, for an amendment of that value."""
    label = f"New value: {spec.label}"
    kind = amendment.Kind
    if spec.kind is kind.DATE:
        return forms.DateField(label=label, required=spec.required, widget=DATE_WIDGET)
    if spec.kind is kind.INTEGER:
        unit = f" ({spec.unit})" if spec.unit else ""
        return forms.IntegerField(
            label=label + unit,
            required=spec.required,
            min_value=spec.minimum,
            max_value=spec.maximum,
        )
    if spec.kind is kind.YES_NO:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "Not answered"), ("yes", "Yes"), ("no", "No")],
        )
    if spec.kind is kind.CHOICE:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "Choose…"), *spec.choices]
        )
    widget = forms.Textarea(attrs={"rows": 3}) if spec.kind is kind.LONG_TEXT else None
    return forms.CharField(
        label=label, required=spec.required, max_length=spec.max_length, widget=widget
    )


class AmendForm(forms.Form):
    """An amendment of one field of a signed record: the value is typed with the field's own
    form field and limits (domain/amendment.py); the service checks it again."""

    field = forms.ChoiceField(
        label="Field to amend",
        choices=[("", "Choose…"), *sorted(AMENDABLE_FIELDS.items(), key=lambda kv: kv[1])],
    )
    new_value = forms.CharField(label="New value", max_length=5000, required=False)
    reason = forms.CharField(label="Reason for the amendment", max_length=500)

    def __init__(self, *args: Any, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.data.get("field") if self.is_bound else field
        self.spec = amendment.SPECS.get(str(chosen)) if chosen else None
        if self.spec is not None:
            self.fields["new_value"] = _amend_value_field(self.spec)
            self.fields["field"].widget = forms.HiddenInput()
            self.initial.setdefault("field", self.spec.name)

    def clean_new_value(self) -> str:
        value = self.cleaned_data.get("new_value")
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        return str(value)


class SubmittedForm(forms.Form):
    confirmation_number = forms.CharField(label="Confirmation number", max_length=64)
