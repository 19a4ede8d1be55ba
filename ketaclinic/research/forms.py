from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.patients.models import Sex
from ketaclinic.research.analytics import AGE_BANDS, OUTCOME_SCALES
from ketaclinic.scales import get_definition

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CohortForm(forms.Form):
    scale = forms.ChoiceField(label="Outcome scale", required=False)
    indication = forms.ChoiceField(required=False)
    protocol = forms.ChoiceField(required=False)
    drug = forms.ChoiceField(required=False)
    route = forms.ChoiceField(required=False)
    age_band = forms.ChoiceField(label="Age (today)", required=False)
    sex = forms.ChoiceField(required=False)
    start_from = forms.DateField(
        label="Period: course started on or after", required=False, widget=DATE
    )
    start_to = forms.DateField(
        label="Period: course started on or before", required=False, widget=DATE
    )

    def __init__(
        self, *args: Any, choices: dict[str, list[tuple[str, str]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        any_ = [("", "Any")]
        self.fields["scale"].choices = [(c, get_definition(c).name) for c in OUTCOME_SCALES]  # type: ignore[attr-defined]
        for name in ("indication", "protocol", "drug", "route"):
            self.fields[name].choices = any_ + choices[name]  # type: ignore[attr-defined]
        self.fields["age_band"].choices = any_ + [  # type: ignore[attr-defined]
            (b, "90 or older" if b == "90+" else b.replace("-", " to ")) for b in AGE_BANDS
        ]
        self.fields["sex"].choices = any_ + list(Sex.choices)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_from"), data.get("start_to")
        if start and end and end < start:
            self.add_error("start_to", "The end of the period is before its start.")
        return data
