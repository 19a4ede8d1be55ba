"""Vital-sign rules at the chair: absolute limits at every reading, and changes from the pre-dose
baseline. Public through ``ketaclinic.treatment.safety`` (``safety.reading_findings``), so that a
clinic validating the system can check the rules without the web interface.

Pure module: no Django import. Every rule names its source (``shared/domain/clinical.md``,
section 12 unless said otherwise):

* hypertensive crisis, systolic > 180 and/or diastolic > 120 mmHg: critical at any reading,
  whatever the baseline (2017 ACC/AHA guideline, Whelton et al., Hypertension 2018;71:e13);
* a rise of >= 40 mmHg systolic and/or >= 25 mmHg diastolic from pre-dose: warning (the label's
  trial definition [USMed]; the protocol's ``bp_rise_*`` setting);
* SpO2 < 90 %: critical (hypoxaemia; ASA sedation practice). A protocol may set a stricter
  limit (``spo2_min_percent``), never a looser one; a drop of ``spo2_drop_percent`` points from
  pre-dose: warning (project default);
* respiratory rate below the protocol's limit (``respiratory_rate_min_per_min``, default
  8/min: respiratory depression in sedation studies is < 8-10/min): critical; a protocol may
  raise the limit, never lower it below 8;
* MOAA/S 0 (loss of consciousness): critical; any drop from pre-dose (sedation): warning
  [USMed; Label];
* heart rate outside the protocol's [min, max]: warning (project defaults, unverified);
* CADSS total > 4: dissociation as the trials defined it (J&J Medical Information,
  "Dissociation" letter): information, monitor until resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Thresholds

__all__ = [
    "ABSOLUTE_LIMITS",
    "AbsoluteLimits",
    "Finding",
    "FindingSeverity",
    "Vitals",
    "findings_for",
    "reading_findings",
    "respiratory_rate_limit",
    "spo2_limit",
]

FindingSeverity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class Vitals:
    """One set of readings (or a baseline). Every value optional: a rule whose value is missing
    is not evaluated. Units: mmHg, beats/min, %, breaths/min, MOAA/S points 0-5, CADSS total."""

    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    moaa_s: int | None = None
    cadss: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule says about one reading. ``code`` names the rule (``hypertensive_crisis``,
    ``bp_rise``, ``spo2_low``, ``spo2_drop``, ``respiratory_rate_low``,
    ``loss_of_consciousness``, ``sedation``, ``heart_rate_low``, ``heart_rate_high``,
    ``dissociation``)."""

    code: str
    severity: FindingSeverity
    message: str
    source: str


@dataclass(frozen=True, slots=True)
class AbsoluteLimits:
    """Limits no protocol setting can loosen. Dated data, each with its source."""

    name: str
    crisis_systolic_above_mmhg: int
    crisis_diastolic_above_mmhg: int
    crisis_source: str
    spo2_below_percent: int
    spo2_source: str
    respiratory_rate_below_per_min: int
    respiratory_rate_source: str
    cadss_dissociation_above: int
    cadss_source: str
    moaa_s_source: str
    bp_rise_source: str


#: clinical.md section 12, "Safety rules confirmed on review (2026-12)".
ABSOLUTE_LIMITS = AbsoluteLimits(
    name="Safety rules confirmed on review, 2026-12",
    crisis_systolic_above_mmhg=180,
    crisis_diastolic_above_mmhg=120,
    crisis_source="2017 ACC/AHA hypertension guideline (Whelton et al., Hypertension "
    "2018;71:e13): hypertensive crisis > 180 and/or > 120 mmHg",
    spo2_below_percent=90,
    spo2_source="Hypoxaemia SpO2 < 90 % (common clinical definition; ASA sedation practice)",
    respiratory_rate_below_per_min=8,
    respiratory_rate_source="Respiratory depression in sedation studies: < 8-10/min; "
    "esketamine boxed warning and REMS goal (SPL v18, 2026-03-13)",
    cadss_dissociation_above=4,
    cadss_source="CADSS total > 4: dissociation as the trials defined it (J&J Medical "
    "Information, 'Dissociation' letter)",
    moaa_s_source="MOAA/S: any drop from pre-dose = sedation, 0 = loss of consciousness "
    "[USMed; Label]",
    bp_rise_source="Rise >= 40 mmHg systolic and/or >= 25 mmHg diastolic: the label's "
    "trial definition [USMed]",
)

_PROTOCOL_SETTING = "the protocol version's setting"


def spo2_limit(thresholds: Thresholds, limits: AbsoluteLimits = ABSOLUTE_LIMITS) -> int:
    """SpO2 below this is critical: the absolute limit, or the protocol's if stricter."""
    return max(limits.spo2_below_percent, thresholds.spo2_min_percent)


def respiratory_rate_limit(thresholds: Thresholds, limits: AbsoluteLimits = ABSOLUTE_LIMITS) -> int:
    """Breaths/min below this are critical: the protocol's limit, never below 8."""
    return max(limits.respiratory_rate_below_per_min, thresholds.respiratory_rate_min_per_min)


def _bp(base: Vitals, r: Vitals, t: Thresholds, lim: AbsoluteLimits) -> list[Finding]:
    found: list[Finding] = []
    s, d = r.systolic, r.diastolic
    s_hi = s is not None and s > lim.crisis_systolic_above_mmhg
    d_hi = d is not None and d > lim.crisis_diastolic_above_mmhg
    shown = f"{s if s is not None else '?'}/{d if d is not None else '?'} mmHg"
    if s_hi or d_hi:
        found.append(
            Finding(
                "hypertensive_crisis",
                "critical",
                f"Blood pressure {shown}: hypertensive crisis (systolic above "
                f"{lim.crisis_systolic_above_mmhg} or diastolic above "
                f"{lim.crisis_diastolic_above_mmhg} mmHg), at any time.",
                lim.crisis_source,
            )
        )
    rise_s = s - base.systolic if s is not None and base.systolic is not None else None
    rise_d = d - base.diastolic if d is not None and base.diastolic is not None else None
    if (rise_s is not None and rise_s >= t.bp_rise_systolic_mmhg) or (
        rise_d is not None and rise_d >= t.bp_rise_diastolic_mmhg
    ):
        rises = "/".join(f"{x:+d}" if x is not None else "?" for x in (rise_s, rise_d))
        found.append(
            Finding(
                "bp_rise",
                "warning",
                f"Blood pressure {shown}: a rise of {rises} mmHg from pre-dose "
                f"{base.systolic}/{base.diastolic} (alert at +{t.bp_rise_systolic_mmhg} "
                f"systolic or +{t.bp_rise_diastolic_mmhg} diastolic).",
                lim.bp_rise_source,
            )
        )
    return found


def _spo2(value: int, base: Vitals, t: Thresholds, lim: AbsoluteLimits) -> list[Finding]:
    found: list[Finding] = []
    limit = spo2_limit(t, lim)
    if value < limit:
        source = lim.spo2_source
        if limit > lim.spo2_below_percent:
            source = f"{_PROTOCOL_SETTING} ({limit} %), stricter than: {lim.spo2_source}"
        found.append(Finding("spo2_low", "critical", f"SpO2 {value} % is below {limit} %.", source))
    if base.spo2 is not None and base.spo2 - value >= t.spo2_drop_percent:
        found.append(
            Finding(
                "spo2_drop",
                "warning",
                f"SpO2 {value} % has dropped {base.spo2 - value} points from pre-dose "
                f"{base.spo2} % (alert at a drop of {t.spo2_drop_percent}).",
                f"{_PROTOCOL_SETTING} (spo2_drop_percent; project default, unverified)",
            )
        )
    return found


def _respiratory_rate(value: int, t: Thresholds, lim: AbsoluteLimits) -> list[Finding]:
    limit = respiratory_rate_limit(t, lim)
    if value < limit:
        return [
            Finding(
                "respiratory_rate_low",
                "critical",
                f"Respiratory rate {value}/min is below {limit}/min: respiratory depression.",
                lim.respiratory_rate_source,
            )
        ]
    return []


def _moaa_s(value: int, base: Vitals, lim: AbsoluteLimits) -> list[Finding]:
    if value == 0:
        return [
            Finding(
                "loss_of_consciousness",
                "critical",
                "MOAA/S 0: loss of consciousness (no response to painful stimulus).",
                lim.moaa_s_source,
            )
        ]
    if base.moaa_s is None:
        # No pre-dose assessment to compare with: 5 (fully alert) is the only safe reading.
        if value < 5:
            return [
                Finding(
                    "sedation",
                    "warning",
                    f"MOAA/S {value}: below 5 and no pre-dose MOAA/S was assessed to compare "
                    "with: treat as sedation.",
                    lim.moaa_s_source,
                )
            ]
        return []
    if value < base.moaa_s:
        return [
            Finding(
                "sedation",
                "warning",
                f"MOAA/S {value}, down from {base.moaa_s} before dosing: sedation.",
                lim.moaa_s_source,
            )
        ]
    return []


def _heart_rate(value: int, t: Thresholds) -> list[Finding]:
    source = f"{_PROTOCOL_SETTING} (heart-rate limits; project defaults, unverified)"
    if value < t.heart_rate_min_bpm:
        return [
            Finding(
                "heart_rate_low",
                "warning",
                f"Heart rate {value} bpm is below the protocol's {t.heart_rate_min_bpm} bpm.",
                source,
            )
        ]
    if value > t.heart_rate_max_bpm:
        return [
            Finding(
                "heart_rate_high",
                "warning",
                f"Heart rate {value} bpm is above the protocol's {t.heart_rate_max_bpm} bpm.",
                source,
            )
        ]
    return []


def findings_for(
    thresholds: Thresholds,
    *,
    baseline: Vitals,
    reading: Vitals,
    limits: AbsoluteLimits = ABSOLUTE_LIMITS,
) -> list[Finding]:
    """Every rule's finding for one reading, critical first, against a protocol version's
    thresholds (a stored clinic version as well as a shipped one)."""
    t, r = thresholds, reading
    found = _bp(baseline, r, t, limits)
    if r.spo2 is not None:
        found += _spo2(r.spo2, baseline, t, limits)
    if r.respiratory_rate is not None:
        found += _respiratory_rate(r.respiratory_rate, t, limits)
    if r.moaa_s is not None:
        found += _moaa_s(r.moaa_s, baseline, limits)
    if r.heart_rate is not None:
        found += _heart_rate(r.heart_rate, t)
    if r.cadss is not None and r.cadss > limits.cadss_dissociation_above:
        found.append(
            Finding(
                "dissociation",
                "info",
                f"CADSS {r.cadss} (above {limits.cadss_dissociation_above}): dissociation; "
                "monitor until it resolves (it peaks ~40 min, resolves by ~1.5 h).",
                limits.cadss_source,
            )
        )
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda f: order[f.severity])


def reading_findings(protocol_code: str, *, baseline: Vitals, reading: Vitals) -> list[Finding]:
    """The findings of one reading under a shipped protocol (``esketamine_trd``,
    ``iv_racemic_depression``, ``iv_racemic_crps``, ...). An unknown code raises ``KeyError``
    naming the shipped codes."""
    protocol = SHIPPED_PROTOCOLS.get(protocol_code)
    if protocol is None:
        raise KeyError(
            f"protocol_code: {protocol_code!r} is not a shipped protocol; allowed: "
            f"{', '.join(sorted(SHIPPED_PROTOCOLS))}"
        )
    return findings_for(protocol.thresholds, baseline=baseline, reading=reading)
