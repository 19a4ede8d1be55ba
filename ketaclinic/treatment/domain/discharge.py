"""Discharge by the values, not by a ticked box: each criterion with the readings that satisfy
it (or why none does). ``monitoring.discharge_readiness`` adds the observation time, the
protocol's attested criteria and the before-discharge measurements.

Pure module: no Django import. Sources (clinical.md section 12): monitor "until resolution of
sedation, dissociation and respiratory depression" [REMS; DailyMed]; MOAA/S back to the pre-dose
value [USMed; Label]; dissociation as the trials defined it, CADSS > 4 (J&J Medical
Information); hypertensive crisis > 180/120 mmHg (2017 ACC/AHA guideline).

"Back to baseline" is read literally: the latest reading after dosing at or above the last
pre-dose reading (SpO2, respiratory rate, MOAA/S). A reading that was never taken satisfies
nothing: the criterion says what to measure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketaclinic.treatment.domain import vitals
from ketaclinic.treatment.domain.protocol import Measure, Protocol

if TYPE_CHECKING:
    from ketaclinic.treatment.domain.monitoring import Observation

__all__ = ["DischargeCheck", "value_checks"]


@dataclass(frozen=True, slots=True)
class DischargeCheck:
    """One value criterion: met or not, in words, with the readings it was judged on (the
    pre-dose reading first when it compares with one)."""

    code: str
    label: str
    met: bool
    detail: str
    evidence: tuple[Observation, ...] = ()
    source: str = ""


def _split(
    observations: Sequence[Observation], measure: Measure, dose_started_at: dt.datetime
) -> tuple[Observation | None, Observation | None]:
    ordered = sorted((o for o in observations if o.measure is measure), key=lambda o: o.taken_at)
    before = [o for o in ordered if o.taken_at < dose_started_at]
    after = [o for o in ordered if o.taken_at >= dose_started_at]
    return (before[-1] if before else None), (after[-1] if after else None)


def _back_to_baseline(
    observations: Sequence[Observation],
    dose_started_at: dt.datetime,
    *,
    code: str,
    label: str,
    measure: Measure,
    unit: str,
    source: str,
    floor: int | None = None,
) -> DischargeCheck:
    base, last = _split(observations, measure, dose_started_at)
    name = label.split(" back", maxsplit=1)[0]
    name = name if name.isupper() or name[1:2].isupper() or "2" in name else name.lower()
    if base is None or base.value is None:
        return DischargeCheck(
            code, label, False, f"No pre-dose {name} was measured to compare with.", (), source
        )
    if last is None or last.value is None:
        return DischargeCheck(
            code, label, False, f"Measure {name} again: none since dosing.", (base,), source
        )
    evidence = (base, last)
    if last.value < base.value:
        return DischargeCheck(
            code,
            label,
            False,
            f"Latest {name} {last.value}{unit} is below pre-dose {base.value}{unit}.",
            evidence,
            source,
        )
    if floor is not None and last.value < floor:
        return DischargeCheck(
            code,
            label,
            False,
            f"Latest {name} {last.value}{unit} is below the limit of {floor}{unit}.",
            evidence,
            source,
        )
    return DischargeCheck(
        code,
        label,
        True,
        f"Latest {name} {last.value}{unit}, pre-dose {base.value}{unit}.",
        evidence,
        source,
    )


def _cadss(
    protocol: Protocol, observations: Sequence[Observation], dose_started_at: dt.datetime
) -> DischargeCheck | None:
    lim = vitals.ABSOLUTE_LIMITS
    label = f"Dissociation resolved (CADSS at most {lim.cadss_dissociation_above} or back to "
    label += "pre-dose)"
    base, last = _split(observations, Measure.CADSS, dose_started_at)
    planned = any(p.measure is Measure.CADSS for p in protocol.monitoring)
    if last is None or last.value is None:
        if not planned and base is None:
            return None  # not a measure of this protocol, and never taken
        return DischargeCheck(
            "cadss", label, False, "Rate CADSS again: none since dosing.", (), lim.cadss_source
        )
    evidence = (base, last) if base is not None else (last,)
    if last.value <= lim.cadss_dissociation_above:
        detail = f"Latest CADSS {last.value} (at most {lim.cadss_dissociation_above})."
        return DischargeCheck("cadss", label, True, detail, evidence, lim.cadss_source)
    if base is not None and base.value is not None and last.value <= base.value:
        detail = f"Latest CADSS {last.value}, back to pre-dose {base.value}."
        return DischargeCheck("cadss", label, True, detail, evidence, lim.cadss_source)
    detail = f"Latest CADSS {last.value} is above {lim.cadss_dissociation_above}."
    return DischargeCheck("cadss", label, False, detail, evidence, lim.cadss_source)


def _last_bp(observations: Sequence[Observation]) -> DischargeCheck:
    lim = vitals.ABSOLUTE_LIMITS
    s_max, d_max = lim.crisis_systolic_above_mmhg, lim.crisis_diastolic_above_mmhg
    label = f"Last blood pressure below the crisis limit ({s_max}/{d_max} mmHg)"
    bps = sorted(
        (o for o in observations if o.measure is Measure.BLOOD_PRESSURE), key=lambda o: o.taken_at
    )
    if not bps:
        return DischargeCheck("bp", label, False, "No blood pressure recorded.", (), "")
    last = bps[-1]
    s, d = last.systolic_mmhg or 0, last.diastolic_mmhg or 0
    met = s <= s_max and d <= d_max
    detail = f"Last blood pressure {s}/{d} mmHg" + ("." if met else ": hypertensive crisis.")
    return DischargeCheck("bp", label, met, detail, (last,), lim.crisis_source)


def value_checks(
    protocol: Protocol,
    *,
    dose_started_at: dt.datetime,
    observations: Sequence[Observation],
    unacknowledged_critical: int,
) -> tuple[DischargeCheck, ...]:
    """The value criteria of discharge, in the order the page shows them."""
    lim = vitals.ABSOLUTE_LIMITS
    t = protocol.thresholds
    checks = [
        _back_to_baseline(
            observations,
            dose_started_at,
            code="moaa_s",
            label="MOAA/S back to the pre-dose value",
            measure=Measure.MOAA_S,
            unit="",
            source=lim.moaa_s_source,
        )
    ]
    cadss = _cadss(protocol, observations, dose_started_at)
    if cadss is not None:
        checks.append(cadss)
    checks.append(
        _back_to_baseline(
            observations,
            dose_started_at,
            code="spo2",
            label="SpO2 back to the pre-dose value",
            measure=Measure.SPO2,
            unit=" %",
            source=lim.spo2_source,
            floor=vitals.spo2_limit(t),
        )
    )
    checks.append(
        _back_to_baseline(
            observations,
            dose_started_at,
            code="respiratory_rate",
            label="Respiratory rate back to the pre-dose value",
            measure=Measure.RESPIRATORY_RATE,
            unit="/min",
            source=lim.respiratory_rate_source,
            floor=vitals.respiratory_rate_limit(t),
        )
    )
    checks.append(_last_bp(observations))
    n = unacknowledged_critical
    checks.append(
        DischargeCheck(
            "critical_alerts",
            "No unacknowledged critical finding",
            n == 0,
            "None open." if n == 0 else f"{n} critical alert(s) of this session not acknowledged.",
        )
    )
    return tuple(checks)
