"""Cumulative exposure and the blood-pressure trend of a patient (pure: no Django).

Exposure sums the mg actually given (``DoseAdministration.dose_mg``), by drug and route and by
calendar month in the clinic's time zone. The blood-pressure trend takes, per dosed session, the
pre-dose reading (the last before dosing) and the peak after dosing (highest systolic, then
diastolic): BP before dosing and ~40 min after, peak ~40 min [HCP; USMed] (clinical.md 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.surveillance.rules.indicators import GivenDose
from ketaclinic.surveillance.rules.labels import drug_label, route_label


@dataclass(frozen=True, slots=True)
class ExposureRow:
    drug: str
    route: str
    sessions: int
    total_mg: Decimal

    @property
    def drug_label(self) -> str:
        return drug_label(self.drug)

    @property
    def route_label(self) -> str:
        return route_label(self.route)


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str  # "2026-11"
    drug: str
    route: str
    sessions: int
    total_mg: Decimal

    @property
    def drug_label(self) -> str:
        return drug_label(self.drug)

    @property
    def route_label(self) -> str:
        return route_label(self.route)


@dataclass(frozen=True, slots=True)
class Exposure:
    sessions: int
    by_drug_route: tuple[ExposureRow, ...]
    by_month: tuple[MonthRow, ...]


def exposure(doses: Sequence[GivenDose], tz: dt.tzinfo) -> Exposure:
    totals: dict[tuple[str, str], tuple[int, Decimal]] = {}
    months: dict[tuple[str, str, str], tuple[int, Decimal]] = {}
    for d in doses:
        n, mg = totals.get((d.drug, d.route), (0, Decimal(0)))
        totals[(d.drug, d.route)] = (n + 1, mg + d.mg)
        key = (d.when.astimezone(tz).strftime("%Y-%m"), d.drug, d.route)
        n, mg = months.get(key, (0, Decimal(0)))
        months[key] = (n + 1, mg + d.mg)
    return Exposure(
        sessions=len(doses),
        by_drug_route=tuple(
            ExposureRow(drug, route, n, mg) for (drug, route), (n, mg) in sorted(totals.items())
        ),
        by_month=tuple(
            MonthRow(month, drug, route, n, mg)
            for (month, drug, route), (n, mg) in sorted(months.items())
        ),
    )


@dataclass(frozen=True, slots=True)
class Reading:
    at: dt.datetime
    systolic: int
    diastolic: int


@dataclass(frozen=True, slots=True)
class SessionBp:
    dosed_at: dt.datetime
    pre: Reading | None
    peak: Reading | None

    @property
    def rise_systolic(self) -> int | None:
        if self.pre is None or self.peak is None:
            return None
        return self.peak.systolic - self.pre.systolic


def session_bp(dosed_at: dt.datetime, readings: Sequence[Reading]) -> SessionBp:
    """The last reading before ``dosed_at`` and the highest one at or after it."""
    before = [r for r in readings if r.at < dosed_at]
    after = [r for r in readings if r.at >= dosed_at]
    pre = max(before, key=lambda r: r.at) if before else None
    peak = max(after, key=lambda r: (r.systolic, r.diastolic, r.at)) if after else None
    return SessionBp(dosed_at, pre, peak)
