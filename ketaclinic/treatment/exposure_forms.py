"""Query-string forms of the exposure pages, /exposure/ (GET only: they change nothing)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ketaclinic.pharmacology.presentation import (
    DEFAULT_LEVELS_NG_ML,
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    parse_levels,
)
from ketaclinic.treatment.domain.exposure import amount_problem
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Protocol

WEIGHT_MESSAGE = (
    f"Enter a weight between {WEIGHT_MIN_KG:g} and {WEIGHT_MAX_KG:g} kg "
    "(the range the exposure models accept)."
)
_WEIGHT_ERRORS = {
    "required": WEIGHT_MESSAGE,
    "invalid": WEIGHT_MESSAGE,
    "min_value": WEIGHT_MESSAGE,
    "max_value": WEIGHT_MESSAGE,
    "max_digits": WEIGHT_MESSAGE,
    "max_decimal_places": "Enter the weight to at most one decimal place.",
}


def protocol_choices() -> list[tuple[str, str]]:
    return [(key, p.title) for key, p in SHIPPED_PROTOCOLS.items()]


def weight_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label="Weight (kg)",
        min_value=Decimal(str(WEIGHT_MIN_KG)),
        max_value=Decimal(str(WEIGHT_MAX_KG)),
        max_digits=4,
        decimal_places=1,
        error_messages=_WEIGHT_ERRORS,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        help_text=f"{WEIGHT_MIN_KG:g}-{WEIGHT_MAX_KG:g} kg.",
        **kwargs,
    )


class LibraryChoiceForm(forms.Form):
    """Pick a shipped protocol and a weight (the /exposure/ page)."""

    protocol = forms.ChoiceField(label="Protocol", choices=protocol_choices)
    weight = weight_field()


class PatientFindForm(forms.Form):
    """Pick a shipped protocol and find a patient by name or MRN (the /exposure/ page)."""

    protocol = forms.ChoiceField(label="Protocol", choices=protocol_choices)
    q = forms.CharField(
        label="Patient (name or MRN)",
        max_length=100,
        error_messages={"required": "Enter a name or an MRN to find the patient."},
    )


class _ScenarioForm(forms.Form):
    """Dose and levels shown; the protocol is fixed by the page."""

    dose = forms.DecimalField(
        label="Dose",
        required=False,
        max_digits=7,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    levels = forms.CharField(
        label="Levels for time above (ng/mL)",
        required=False,
        max_length=60,
        help_text="Up to 5 numbers, e.g. 70, 100, 250.",
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scenario_protocol = protocol
        rule = protocol.dose
        unit = rule.basis.unit
        self.fields["dose"].label = f"Dose ({unit})"
        if rule.fixed_doses_mg:
            options = ", ".join(f"{mg.normalize():f}" for mg in rule.fixed_doses_mg)
            help_text = f"Protocol doses: {options} mg. Empty = usual ({rule.usual.normalize():f})."
        else:
            help_text = (
                f"Usual {rule.usual.normalize():f}, range {rule.minimum.normalize():f}-"
                f"{rule.maximum.normalize():f}, cap {rule.cap.normalize():f} {unit}. "
                "Empty = usual."
            )
        self.fields["dose"].help_text = help_text
        self.fields["levels"].widget.attrs["placeholder"] = ", ".join(
            f"{v:g}" for v in DEFAULT_LEVELS_NG_ML
        )

    def clean_dose(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("dose")
        if value is not None:
            problem = amount_problem(self.scenario_protocol, value)
            if problem is not None:
                raise forms.ValidationError(problem)
        return value

    def clean_levels(self) -> tuple[float, ...]:
        try:
            return parse_levels(self.cleaned_data.get("levels") or "")
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class WeightScenarioForm(_ScenarioForm):
    """Library and protocol-version pages: the weight is typed in."""

    weight = weight_field()
    field_order = ("weight", "dose", "levels")


class PatientScenarioForm(_ScenarioForm):
    """Patient page: the weight is the patient's; the protocol is chosen."""

    protocol = forms.ChoiceField(label="Protocol", choices=protocol_choices)
    field_order = ("protocol", "dose", "levels")
