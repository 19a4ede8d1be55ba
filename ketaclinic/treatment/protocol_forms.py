"""The protocol form: a clinic protocol from a shipped template or a new version of one, with
the settings a clinic most often adjusts, an ascending-dose phase's steps among them. It parses
input; the protocol's own validation (``treatment/domain/validation.py``) decides."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Phase, Protocol

#: The prefix of a step field: ``steps__<phase code>``.
STEPS_PREFIX = "steps__"
#: More steps than this is not an ascending-dose phase anyone has studied: the sourced SC
#: programme has three (Glue et al., J Psychopharmacol 2017;31:1302). A form limit only; every
#: step is still checked against the protocol's dose range and the route's ceiling.
MAX_STEPS = 12


class DoseStepsField(forms.CharField):
    """An ascending-dose phase's doses, one per session, in order: "0.25, 0.5, 1"."""

    def to_python(self, value: Any) -> tuple[Decimal, ...]:  # type: ignore[override]
        text = str(value or "").strip()
        if not text:
            raise forms.ValidationError(
                "Give one dose per session, in order, separated by commas (e.g. 0.25, 0.5, 1)."
            )
        steps: list[Decimal] = []
        for raw in text.replace(";", ",").split(","):
            part = raw.strip()
            try:
                step = Decimal(part)
            except InvalidOperation:
                step = Decimal("NaN")
            if not part or not step.is_finite() or step <= 0:
                raise forms.ValidationError(
                    f"{part or 'an empty entry'!r} is not a dose: give positive numbers separated "
                    "by commas (e.g. 0.25, 0.5, 1)."
                )
            steps.append(step)
        if len(steps) > MAX_STEPS:
            raise forms.ValidationError(f"Allowed: 1-{MAX_STEPS} steps, got {len(steps)}.")
        return tuple(steps)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, tuple | list):
            return ", ".join(format(v, "f") for v in value)
        return value


def step_field_name(phase: Phase) -> str:
    return f"{STEPS_PREFIX}{phase.code}"


def with_steps(base: Protocol, data: dict[str, Any]) -> tuple[Phase, ...]:
    """``base``'s phases with the steps of the form: one session per step, and the phase at
    least as many weeks long as its steps need at its frequency (both said beside the field)."""
    phases = []
    for ph in base.schedule:
        steps = data.get(step_field_name(ph)) if ph.dose_steps else None
        if not steps:
            phases.append(ph)
            continue
        need = math.ceil(len(steps) * ph.frequency.per_weeks / ph.frequency.sessions)
        weeks = None if ph.length_weeks is None else max(ph.length_weeks, need)
        phases.append(
            dataclasses.replace(
                ph, dose_steps=tuple(steps), session_count=len(steps), length_weeks=weeks
            )
        )
    return tuple(phases)


class ProtocolForm(forms.Form):
    """A protocol from a shipped one (or the current version), with the settings a clinic most
    often adjusts. Field names are the protocol's field paths with '.' as '__', so the service's
    messages land beside them.

    ``loaded_from`` says which template the values came from: every field is filled from one
    template, and a form whose "Start from" was changed without loading the new template's
    values is not saved (the first release saved a copied IV template still holding esketamine
    numbers: 56 mg/kg IV)."""

    start_from = forms.ChoiceField(
        label="Start from",
        choices=[(k, p.title) for k, p in SHIPPED_PROTOCOLS.items()],
        help_text="Choosing a template fills every field below with its values.",
    )
    loaded_from = forms.CharField(widget=forms.HiddenInput, required=False)
    code = forms.SlugField(max_length=64)
    title = forms.CharField(max_length=200)
    dose__usual = forms.DecimalField(label="Usual dose", max_digits=8, decimal_places=3)
    dose__minimum = forms.DecimalField(label="Allowed minimum", max_digits=8, decimal_places=3)
    dose__maximum = forms.DecimalField(
        label="Allowed maximum",
        max_digits=8,
        decimal_places=3,
        help_text="Above it, a prescriber's override with a reason.",
    )
    dose__cap = forms.DecimalField(
        label="Absolute cap",
        max_digits=8,
        decimal_places=3,
        help_text="Above it, refused. Never above the drug's and route's ceiling.",
    )
    dose__cap_total_mg = forms.DecimalField(
        label="Cap per session (mg)", max_digits=8, decimal_places=3, required=False
    )
    dose__cap_rate_mg_per_h = forms.DecimalField(
        label="Infusion rate cap (mg/h)", max_digits=8, decimal_places=3, required=False
    )
    infusion_minutes = forms.IntegerField(label="Infusion time (minutes)", required=False)
    min_observation_minutes = forms.IntegerField(label="Minimum observation (minutes)")
    min_observation_minutes_moderate_hepatic = forms.IntegerField(
        label="Minimum observation with moderate hepatic impairment (minutes)", required=False
    )
    thresholds__predose_systolic_max_mmhg = forms.IntegerField(
        label="Pre-dose systolic above which a prescriber decides (mmHg)"
    )
    thresholds__predose_diastolic_max_mmhg = forms.IntegerField(
        label="Pre-dose diastolic above which a prescriber decides (mmHg)"
    )
    thresholds__bp_rise_systolic_mmhg = forms.IntegerField(label="Systolic rise alert (mmHg)")
    thresholds__bp_rise_diastolic_mmhg = forms.IntegerField(label="Diastolic rise alert (mmHg)")
    thresholds__spo2_min_percent = forms.IntegerField(label="SpO2 alert below (%)")
    change_note = forms.CharField(label="Why (kept with the version)", max_length=500)

    #: Every field a template fills (all but the choice of template and the note).
    FILLED = (
        "code",
        "title",
        "dose__usual",
        "dose__minimum",
        "dose__maximum",
        "dose__cap",
        "dose__cap_total_mg",
        "dose__cap_rate_mg_per_h",
        "infusion_minutes",
        "min_observation_minutes",
        "min_observation_minutes_moderate_hepatic",
        "thresholds__predose_systolic_max_mmhg",
        "thresholds__predose_diastolic_max_mmhg",
        "thresholds__bp_rise_systolic_mmhg",
        "thresholds__bp_rise_diastolic_mmhg",
        "thresholds__spo2_min_percent",
    )

    def __init__(self, *args: Any, base: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if base is not None:
            unit = base.dose.basis.unit
            for name in ("dose__usual", "dose__minimum", "dose__maximum", "dose__cap"):
                self.fields[name].label = f"{self.fields[name].label} ({unit})"
            self._add_step_fields(base, unit)

    def _add_step_fields(self, base: Protocol, unit: str) -> None:
        """One field per ascending-dose phase, placed before the note."""
        note = self.fields.pop("change_note")
        for ph in base.schedule:
            if ph.dose_steps:
                self.fields[step_field_name(ph)] = DoseStepsField(
                    label=f"{ph.name}: the dose of each session, in order ({unit})",
                    help_text=(
                        "One dose per session, separated by commas, none lower than the one "
                        "before, each within the allowed minimum and maximum. The phase has one "
                        "session per step and lasts at least as many weeks as its steps need."
                    ),
                )
        self.fields["change_note"] = note

    @classmethod
    def initial_from(cls, protocol: Any) -> dict[str, Any]:
        """Every filled field from ``protocol``: no field keeps another template's value."""
        t = protocol.thresholds
        d = protocol.dose
        values = {
            "code": protocol.code,
            "title": protocol.title,
            "dose__usual": d.usual,
            "dose__minimum": d.minimum,
            "dose__maximum": d.maximum,
            "dose__cap": d.cap,
            "dose__cap_total_mg": d.cap_total_mg,
            "dose__cap_rate_mg_per_h": d.cap_rate_mg_per_h,
            "infusion_minutes": protocol.infusion_minutes,
            "min_observation_minutes": protocol.min_observation_minutes,
            "min_observation_minutes_moderate_hepatic": (
                protocol.min_observation_minutes_moderate_hepatic
            ),
            "thresholds__predose_systolic_max_mmhg": t.predose_systolic_max_mmhg,
            "thresholds__predose_diastolic_max_mmhg": t.predose_diastolic_max_mmhg,
            "thresholds__bp_rise_systolic_mmhg": t.bp_rise_systolic_mmhg,
            "thresholds__bp_rise_diastolic_mmhg": t.bp_rise_diastolic_mmhg,
            "thresholds__spo2_min_percent": t.spo2_min_percent,
        }
        steps = {step_field_name(ph): ph.dose_steps for ph in protocol.schedule if ph.dose_steps}
        assert set(values) == set(cls.FILLED)  # noqa: S101 - every filled field, no other
        return values | steps
