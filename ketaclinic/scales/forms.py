"""Forms of the scales pages. A scale's form is built from its definition: one radio group per item.

Item wording: a free scale's own text; a licensed scale's text only when the clinic has loaded its
licensed wording, otherwise "Item N" and the numeric answers (never invented text).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from ketaclinic.patients.forms import LocalDateTimeField
from ketaclinic.scales import ScaleDefinition, get_definition, list_scales
from ketaclinic.scales.text import LicensedText


def scale_choices() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in list_scales()]


class ChooseScaleForm(forms.Form):
    code = forms.ChoiceField(label="Scale", choices=scale_choices)


def _answer_choices(
    definition: ScaleDefinition, item_index: int, text: LicensedText | None
) -> list[tuple[str, str]]:
    item = definition.items[item_index]
    labels: dict[int, str] = {a.value: a.label for a in item.anchors}
    if text is not None:
        labels.update(text.anchors)
        labels.update(text.items[item_index].anchors)
    return [
        (str(v), f"{v} · {labels[v]}" if v in labels else str(v))
        for v in range(item.min, item.max + 1)
    ]


class ScaleForm(forms.Form):
    """Answers to one scale. ``answers()`` returns them in item order (int, or None when an item was
    not asked because of skip logic)."""

    def __init__(
        self,
        *args: Any,
        code: str,
        text: LicensedText | None = None,
        tz: ZoneInfo | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = get_definition(code)
        self.licensed_text_missing = self.definition.licence == "licensed" and text is None
        for index, item in enumerate(self.definition.items):
            if text is not None:
                label = f"{item.id}. {text.items[index].text}"
            elif self.definition.licence == "free" and item.text:
                label = f"{item.id}. {item.text}"
            else:
                label = f"Item {item.id}"
            help_text = ""
            if item.asked_when is not None:
                help_text = f"Only when item {item.asked_when[0]} is answered {item.asked_when[1]}."
            self.fields[f"item_{item.id}"] = forms.TypedChoiceField(
                label=label,
                choices=_answer_choices(self.definition, index, text),
                coerce=int,
                empty_value=None,
                widget=forms.RadioSelect,
                required=item.asked_when is None,
                help_text=help_text,
            )
        if tz is not None:
            self.fields["effective_at"] = LocalDateTimeField(
                tz=tz, label="Answers refer to", help_text="Date and time in the clinic's time zone"
            )
            if not self.is_bound:
                self.initial.setdefault(
                    "effective_at", timezone.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M")
                )
        self.instructions = (
            text.instructions
            if text is not None
            else (self.definition.instructions if self.definition.licence == "free" else None)
        )
        self.copyright = text.copyright if text is not None else None

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(f"item_{item.id}") for item in self.definition.items]


class AmendForm(ScaleForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"] = forms.CharField(
            label="Reason for correction", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
        )


class SelfReportLinkForm(forms.Form):
    codes = forms.MultipleChoiceField(
        label="Questionnaires",
        widget=forms.CheckboxSelectMultiple,
        help_text="The patient answers these on their phone, without signing in.",
    )

    def __init__(self, *args: Any, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = codes  # type: ignore[attr-defined]  # a ChoiceField
        if not self.is_bound:
            self.initial["codes"] = [c for c, _ in codes if c == "phq9"]


class LicensedTextForm(forms.Form):
    file = forms.FileField(
        label="Item text file (JSON)",
        help_text="The licensed wording of one scale, in the format described in scales/text.py.",
    )
