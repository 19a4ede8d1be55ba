"""Validation of a protocol version against the label rules: every reason to refuse it, each
naming the field and the allowed values. Pure module: no Django import."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.treatment.domain import ceilings, follow_up
from ketaclinic.treatment.domain.protocol import (
    LABEL_RULES_SPRAVATO_2024,
    RATE_BASED,
    ROUTES_BY_DRUG,
    WEIGHT_BASED,
    Anchor,
    DoseBasis,
    DoseRule,
    Drug,
    LabelRules,
    Measure,
    Phase,
    Protocol,
    Route,
    Thresholds,
    format_values,
)


@dataclass(frozen=True, slots=True)
class ProtocolError:
    """One reason a protocol is refused: the field and a message naming the allowed values."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _check_dose(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    d = p.dose
    errors: list[ProtocolError] = []
    for name in ("usual", "minimum", "maximum", "cap"):
        value: Decimal = getattr(d, name)
        if not value.is_finite() or value <= 0:
            errors.append(ProtocolError(f"dose.{name}", f"must be a number above 0, got {value}"))
    if errors:
        return errors
    if d.minimum > d.maximum:
        errors.append(
            ProtocolError(
                "dose.minimum",
                f"must not exceed dose.maximum ({d.maximum} {d.basis}), got {d.minimum}",
            )
        )
    if d.maximum > d.cap:
        errors.append(
            ProtocolError(
                "dose.maximum",
                f"allowed range ends at {d.maximum} {d.basis}, beyond the absolute cap "
                f"dose.cap = {d.cap} {d.basis}; allowed: at most {d.cap}",
            )
        )
    if not d.minimum <= d.usual <= d.maximum:
        errors.append(
            ProtocolError(
                "dose.usual",
                f"must lie within the allowed range {d.minimum}-{d.maximum} {d.basis}, "
                f"got {d.usual}",
            )
        )
    if d.cap_total_mg is not None and d.cap_total_mg <= 0:
        errors.append(ProtocolError("dose.cap_total_mg", "must be above 0 mg or absent"))
    if d.cap_rate_mg_per_h is not None:
        if not d.cap_rate_mg_per_h.is_finite() or d.cap_rate_mg_per_h <= 0:
            errors.append(ProtocolError("dose.cap_rate_mg_per_h", "must be above 0 mg/h or absent"))
        elif d.basis not in RATE_BASED:
            errors.append(
                ProtocolError(
                    "dose.cap_rate_mg_per_h",
                    f"only for an infusion rate (basis {DoseBasis.MG_PER_KG_PER_HOUR} or "
                    f"{DoseBasis.MG_PER_HOUR}); basis is {d.basis}",
                )
            )
    if not 1 <= d.max_weight_age_days <= 365:
        errors.append(
            ProtocolError(
                "dose.max_weight_age_days",
                f"allowed 1-365 days, got {d.max_weight_age_days}",
            )
        )
    errors += _check_fixed_doses(d)
    if p.drug is Drug.ESKETAMINE:
        errors.extend(_check_esketamine_dose(p, rules))
    return errors


def _check_fixed_doses(d: DoseRule) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    if d.basis in WEIGHT_BASED and d.fixed_doses_mg:
        errors.append(
            ProtocolError(
                "dose.fixed_doses_mg",
                f"only for fixed doses (basis {DoseBasis.FIXED_MG}); basis is {d.basis}",
            )
        )
    for i, mg in enumerate(d.fixed_doses_mg):
        if not d.minimum <= mg <= d.maximum:
            errors.append(
                ProtocolError(
                    f"dose.fixed_doses_mg[{i}]",
                    f"must lie within the allowed range {d.minimum}-{d.maximum} mg, got {mg}",
                )
            )
    if d.first_dose_mg is not None and d.fixed_doses_mg and d.first_dose_mg not in d.fixed_doses_mg:
        errors.append(
            ProtocolError(
                "dose.first_dose_mg",
                f"must be one of dose.fixed_doses_mg {format_values(d.fixed_doses_mg)}, "
                f"got {d.first_dose_mg}",
            )
        )
    for i, esc in enumerate(d.escalations):
        if d.basis is DoseBasis.FIXED_MG and esc.dose_mg > d.cap:
            errors.append(
                ProtocolError(
                    f"dose.escalations[{i}].dose_mg",
                    f"must not exceed dose.cap ({d.cap} mg), got {esc.dose_mg}",
                )
            )
        if esc.requires_prior_mg >= esc.dose_mg:
            errors.append(
                ProtocolError(
                    f"dose.escalations[{i}].requires_prior_mg",
                    f"must be below the escalated dose {esc.dose_mg} mg, "
                    f"got {esc.requires_prior_mg}",
                )
            )
    return errors


def _check_esketamine_dose(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    d = p.dose
    errors: list[ProtocolError] = []
    if d.basis is not DoseBasis.FIXED_MG:
        errors.append(
            ProtocolError(
                "dose.basis",
                f"esketamine is dosed in fixed mg (whole devices); allowed: {DoseBasis.FIXED_MG}",
            )
        )
    if p.devices is None:
        errors.append(
            ProtocolError(
                "devices",
                f"esketamine needs a device rule ({rules.esketamine_mg_per_device} mg per device, "
                f"{rules.esketamine_minutes_between_devices} min between devices)",
            )
        )
        return errors
    if p.devices.unit != "device" or p.devices.concentration_mg_per_ml is not None:
        errors.append(
            ProtocolError(
                "devices.unit",
                "an esketamine device is a sealed 'device' with no solution strength; "
                f"got unit {p.devices.unit!r}",
            )
        )
    if p.devices.mg_per_device != rules.esketamine_mg_per_device:
        errors.append(
            ProtocolError(
                "devices.mg_per_device",
                f"allowed: {rules.esketamine_mg_per_device} mg ({rules.name}), "
                f"got {p.devices.mg_per_device}",
            )
        )
    if p.devices.minutes_between_devices < rules.esketamine_minutes_between_devices:
        errors.append(
            ProtocolError(
                "devices.minutes_between_devices",
                f"allowed: at least {rules.esketamine_minutes_between_devices} minutes "
                f"({rules.name}), got {p.devices.minutes_between_devices}",
            )
        )
    per = p.devices.mg_per_device
    named = [("dose.cap", d.cap), ("dose.maximum", d.maximum), ("dose.minimum", d.minimum)]
    named += [(f"dose.fixed_doses_mg[{i}]", mg) for i, mg in enumerate(d.fixed_doses_mg)]
    if d.first_dose_mg is not None:
        named.append(("dose.first_dose_mg", d.first_dose_mg))
    for fname, mg in named:
        if per > 0 and mg % per != 0:
            errors.append(
                ProtocolError(fname, f"must be a whole number of {per} mg devices, got {mg} mg")
            )
    return errors


def _check_route(p: Protocol) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    allowed = ROUTES_BY_DRUG[p.drug]
    if p.route not in allowed:
        errors.append(
            ProtocolError(
                "route",
                f"{p.drug} cannot be given by {p.route}; allowed: {format_values(sorted(allowed))}",
            )
        )
    if p.route is Route.IV_INFUSION:
        if p.infusion_minutes is None or not 1 <= p.infusion_minutes <= 24 * 60:
            errors.append(
                ProtocolError(
                    "infusion_minutes",
                    f"an IV infusion needs a duration of 1-1440 minutes, got {p.infusion_minutes}",
                )
            )
    elif p.infusion_minutes is not None:
        errors.append(
            ProtocolError(
                "infusion_minutes",
                f"only for route {Route.IV_INFUSION}; must be empty for {p.route}",
            )
        )
    if p.dose.basis in RATE_BASED and p.route is not Route.IV_INFUSION:
        errors.append(
            ProtocolError(
                "dose.basis",
                f"rate-based dosing ({p.dose.basis}) needs route {Route.IV_INFUSION}",
            )
        )
    if p.route is Route.INTRANASAL_RACEMIC:
        errors += _check_sprays(p)
    elif p.devices is not None and p.drug is not Drug.ESKETAMINE:
        errors.append(
            ProtocolError(
                "devices",
                "only for esketamine nasal devices and intranasal racemic sprays; must be empty",
            )
        )
    return errors


def _check_sprays(p: Protocol) -> list[ProtocolError]:
    """Intranasal racemic ketamine is given as sprays timed at the chair like the esketamine
    devices: 10 mg sprays 5 min apart from a 100 mg/mL solution (Lapidus et al., Biol Psychiatry
    2014;76:970; clinical.md 13). Store sprays x mg/spray [BrainCloud; clinical.md 3]."""
    d, s = p.dose, p.devices
    if s is None:
        return [
            ProtocolError(
                "devices",
                "intranasal racemic ketamine needs a spray rule (mg per spray, minutes between "
                "sprays, unit 'spray', the solution's mg/mL)",
            )
        ]
    errors: list[ProtocolError] = []
    if d.basis is not DoseBasis.FIXED_MG:
        errors.append(
            ProtocolError(
                "dose.basis",
                f"intranasal sprays are dosed in fixed mg (whole sprays); allowed: "
                f"{DoseBasis.FIXED_MG}",
            )
        )
    if s.unit != "spray":
        errors.append(ProtocolError("devices.unit", f"allowed: spray, got {s.unit!r}"))
    if not s.mg_per_device.is_finite() or s.mg_per_device <= 0:
        errors.append(
            ProtocolError("devices.mg_per_device", f"must be above 0 mg, got {s.mg_per_device}")
        )
        return errors
    if not 1 <= s.minutes_between_devices <= 60:
        errors.append(
            ProtocolError(
                "devices.minutes_between_devices",
                f"allowed 1-60 minutes between sprays, got {s.minutes_between_devices}",
            )
        )
    conc = s.concentration_mg_per_ml
    if conc is None or not conc.is_finite() or not 0 < conc <= 200:
        errors.append(
            ProtocolError(
                "devices.concentration_mg_per_ml",
                f"the spray solution's strength, above 0 and at most 200 mg/mL, got {conc}",
            )
        )
    named = [("dose.cap", d.cap), ("dose.maximum", d.maximum), ("dose.minimum", d.minimum)]
    named += [("dose.usual", d.usual)]
    named += [(f"dose.fixed_doses_mg[{i}]", mg) for i, mg in enumerate(d.fixed_doses_mg)]
    for fname, mg in named:
        if mg.is_finite() and mg % s.mg_per_device != 0:
            errors.append(
                ProtocolError(
                    fname, f"must be a whole number of {s.mg_per_device} mg sprays, got {mg} mg"
                )
            )
    return errors


def _check_schedule(p: Protocol) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    if not p.schedule:
        errors.append(ProtocolError("schedule", "needs at least one phase"))
    codes: set[str] = set()
    for i, ph in enumerate(p.schedule):
        where = f"schedule[{i}]"
        if not ph.code:
            errors.append(ProtocolError(f"{where}.code", "must not be empty"))
        if ph.code in codes:
            errors.append(ProtocolError(f"{where}.code", f"duplicate phase code {ph.code!r}"))
        codes.add(ph.code)
        if ph.length_weeks is None and i != len(p.schedule) - 1:
            errors.append(
                ProtocolError(
                    f"{where}.length_weeks",
                    "only the last phase may be open-ended; give a length in weeks",
                )
            )
        errors += _check_phase(p, ph, where)
    return errors


def _check_phase(p: Protocol, ph: Phase, where: str) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    for j, fr in enumerate((ph.frequency, *ph.alternatives)):
        fwhere = f"{where}.frequency" if j == 0 else f"{where}.alternatives[{j - 1}]"
        if not 1 <= fr.per_weeks <= 12:
            errors.append(
                ProtocolError(f"{fwhere}.per_weeks", f"allowed 1-12 weeks, got {fr.per_weeks}")
            )
        days = 7 * max(fr.per_weeks, 1)
        if not 1 <= fr.sessions <= days:
            errors.append(
                ProtocolError(
                    f"{fwhere}.sessions",
                    f"allowed 1-{days} sessions per {fr.per_weeks} week(s), got {fr.sessions}",
                )
            )
    if ph.length_weeks is not None and not 1 <= ph.length_weeks <= 520:
        errors.append(
            ProtocolError(
                f"{where}.length_weeks",
                f"allowed 1-520 weeks or empty (open-ended), got {ph.length_weeks}",
            )
        )
    if ph.session_count is not None and ph.session_count < 1:
        errors.append(
            ProtocolError(f"{where}.session_count", f"allowed: 1 or more, got {ph.session_count}")
        )
    errors += _check_steps(p, ph, where)
    if not 0 <= ph.min_days_between_sessions <= 84:
        errors.append(
            ProtocolError(
                f"{where}.min_days_between_sessions",
                f"allowed 0-84 days, got {ph.min_days_between_sessions}",
            )
        )
    for k, mg in enumerate(ph.dose_options_mg):
        if p.dose.fixed_doses_mg and mg not in p.dose.fixed_doses_mg:
            errors.append(
                ProtocolError(
                    f"{where}.dose_options_mg[{k}]",
                    f"must be one of dose.fixed_doses_mg {format_values(p.dose.fixed_doses_mg)}, got {mg}",
                )
            )
        elif not p.dose.minimum <= mg <= p.dose.maximum:
            errors.append(
                ProtocolError(
                    f"{where}.dose_options_mg[{k}]",
                    f"must lie within {p.dose.minimum}-{p.dose.maximum} mg, got {mg}",
                )
            )
    return errors


def _check_steps(p: Protocol, ph: Phase, where: str) -> list[ProtocolError]:
    """An ascending-dose phase: one step per session, each within the allowed range (so no step
    needs an override), never lower than the one before; a phase that doses from another
    phase's steps names an earlier phase that has them."""
    d = p.dose
    unit = d.basis.unit
    errors: list[ProtocolError] = []
    if ph.dose_steps:
        if ph.session_count != len(ph.dose_steps):
            errors.append(
                ProtocolError(
                    f"{where}.session_count",
                    f"an ascending-dose phase has one session per step: allowed "
                    f"{len(ph.dose_steps)}, got {ph.session_count}",
                )
            )
        if ph.dose_from_steps_of:
            errors.append(
                ProtocolError(
                    f"{where}.dose_from_steps_of",
                    "must be empty in a phase with its own dose_steps",
                )
            )
        if d.basis is DoseBasis.FIXED_MG and d.fixed_doses_mg:
            allowed = format_values(d.fixed_doses_mg)
        else:
            allowed = f"{d.minimum}-{d.maximum} {unit}"
        for k, step in enumerate(ph.dose_steps):
            fwhere = f"{where}.dose_steps[{k}]"
            if not step.is_finite() or not d.minimum <= step <= d.maximum:
                errors.append(
                    ProtocolError(fwhere, f"must lie within dose range {allowed}, got {step}")
                )
            elif d.fixed_doses_mg and step not in d.fixed_doses_mg:
                errors.append(ProtocolError(fwhere, f"must be one of {allowed}, got {step}"))
            elif k and step < ph.dose_steps[k - 1]:
                errors.append(
                    ProtocolError(
                        fwhere,
                        f"steps ascend: at least the step before ({ph.dose_steps[k - 1]} {unit}), "
                        f"got {step}",
                    )
                )
    elif ph.dose_from_steps_of:
        earlier = [q.code for q in p.schedule[: p.schedule.index(ph)] if q.dose_steps]
        if ph.dose_from_steps_of not in earlier:
            errors.append(
                ProtocolError(
                    f"{where}.dose_from_steps_of",
                    f"must name an earlier phase with dose_steps; allowed: "
                    f"{format_values(earlier)}, got {ph.dose_from_steps_of!r}",
                )
            )
    return errors


def _check_monitoring(p: Protocol, rules: LabelRules) -> list[ProtocolError]:
    errors: list[ProtocolError] = []
    for i, m in enumerate(p.monitoring):
        where = f"monitoring[{i}].minute"
        if m.anchor is Anchor.DOSE_START:
            if not 0 <= m.minute <= 24 * 60:
                errors.append(ProtocolError(where, f"allowed 0-1440 minutes, got {m.minute}"))
        elif m.minute != 0:
            errors.append(ProtocolError(where, f"must be 0 for anchor {m.anchor}, got {m.minute}"))
    measured_pre = {m.measure for m in p.monitoring if m.anchor is Anchor.PRE_DOSE}
    if Measure.BLOOD_PRESSURE not in measured_pre:
        # BP before dosing is the basis of the pre-dose hold and of every rise alert [HCP; MIMS].
        errors.append(
            ProtocolError("monitoring", "needs a pre_dose blood_pressure (the rise baseline)")
        )
    if p.drug is Drug.ESKETAMINE:
        # BP before dosing and ~40 min after [HCP; MIMS]; pulse oximetry each session [HCP].
        if not any(
            m.measure is Measure.BLOOD_PRESSURE and m.anchor is Anchor.DOSE_START and m.minute == 40
            for m in p.monitoring
        ):
            errors.append(
                ProtocolError("monitoring", "esketamine needs blood_pressure at dose_start+40 min")
            )
        if not any(m.measure is Measure.SPO2 for m in p.monitoring):
            errors.append(ProtocolError("monitoring", "esketamine needs spo2 (pulse oximetry)"))
    if p.min_observation_minutes < 0 or p.min_observation_minutes > 24 * 60:
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"allowed 0-1440 minutes, got {p.min_observation_minutes}",
            )
        )
    if (
        p.drug is Drug.ESKETAMINE
        and p.min_observation_minutes < rules.esketamine_min_observation_minutes
    ):
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"esketamine needs at least {rules.esketamine_min_observation_minutes} minutes "
                f"({rules.name}); allowed: {rules.esketamine_min_observation_minutes} or more, "
                f"got {p.min_observation_minutes}",
            )
        )
    hepatic = p.min_observation_minutes_moderate_hepatic
    if hepatic is not None and not p.min_observation_minutes <= hepatic <= 24 * 60:
        errors.append(
            ProtocolError(
                "min_observation_minutes_moderate_hepatic",
                f"allowed {p.min_observation_minutes}-1440 minutes (at least "
                f"min_observation_minutes) or empty, got {hepatic}",
            )
        )
    if p.infusion_minutes is not None and p.min_observation_minutes < p.infusion_minutes:
        errors.append(
            ProtocolError(
                "min_observation_minutes",
                f"must cover the infusion ({p.infusion_minutes} min), "
                f"got {p.min_observation_minutes}",
            )
        )
    return errors


def _check_thresholds(t: Thresholds) -> list[ProtocolError]:
    bounds: dict[str, tuple[int, int]] = {
        "predose_systolic_max_mmhg": (80, 250),
        "predose_diastolic_max_mmhg": (40, 150),
        "bp_rise_systolic_mmhg": (5, 100),
        "bp_rise_diastolic_mmhg": (5, 100),
        "spo2_min_percent": (70, 99),
        "spo2_drop_percent": (1, 30),
        "heart_rate_min_bpm": (20, 100),
        "heart_rate_max_bpm": (60, 250),
    }
    errors: list[ProtocolError] = []
    for name, (lo, hi) in bounds.items():
        value: int = getattr(t, name)
        if not lo <= value <= hi:
            errors.append(ProtocolError(f"thresholds.{name}", f"allowed {lo}-{hi}, got {value}"))
    if t.predose_diastolic_max_mmhg >= t.predose_systolic_max_mmhg:
        errors.append(
            ProtocolError(
                "thresholds.predose_diastolic_max_mmhg",
                "must be below thresholds.predose_systolic_max_mmhg",
            )
        )
    if t.heart_rate_min_bpm >= t.heart_rate_max_bpm:
        errors.append(
            ProtocolError(
                "thresholds.heart_rate_min_bpm", "must be below thresholds.heart_rate_max_bpm"
            )
        )
    return errors


def _check_ceilings(p: Protocol) -> list[ProtocolError]:
    """The drug-and-route ceiling table (``ceilings.py``): no dose the protocol names may pass
    it for any patient; each refusal names the field and the limit with its source."""
    return [ProtocolError(field, message) for field, message in ceilings.protocol_problems(p)]


def validate_protocol(
    p: Protocol, rules: LabelRules = LABEL_RULES_SPRAVATO_2024
) -> list[ProtocolError]:
    """Every reason ``p`` cannot be used; an empty list means it is valid.

    Checks impossibilities (a range beyond its cap, an esketamine observation below the label's
    minimum, a drug given by a route it has no product for, a phase with more sessions than days)
    and the drug-and-route ceilings (``ceilings.py``) rather than clinical wisdom: choices under
    the ceilings stay with the clinic.
    """
    errors: list[ProtocolError] = []
    if not p.code:
        errors.append(ProtocolError("code", "must not be empty"))
    if not p.indication:
        errors.append(ProtocolError("indication", "must not be empty (a configurable code)"))
    if not p.sources:
        errors.append(ProtocolError("sources", "cite at least one source for the protocol"))
    if p.rems_required and p.drug is not Drug.ESKETAMINE:
        errors.append(ProtocolError("rems_required", "the SPRAVATO REMS applies to esketamine"))
    if p.drug is Drug.ESKETAMINE and not p.rems_required:
        # Outpatient settings file a PMF after every session [REMS].
        errors.append(ProtocolError("rems_required", "must be true for esketamine"))
    codes = [c.code for c in p.discharge_criteria]
    if len(set(codes)) != len(codes):
        errors.append(ProtocolError("discharge_criteria", "criterion codes must be unique"))
    errors += _check_route(p)
    errors += _check_dose(p, rules)
    errors += _check_ceilings(p)
    errors += _check_schedule(p)
    errors += _check_monitoring(p, rules)
    errors += _check_thresholds(p.thresholds)
    errors += [ProtocolError(f, m) for f, m in follow_up.rule_problems(p)]
    return errors
