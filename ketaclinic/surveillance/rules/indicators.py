"""Misuse and diversion indicators (pure: no Django).

Each indicator is a flag with its reason and source, shown to prescribers; none is a decision
and nothing is done automatically. The esketamine label asks to assess abuse risk before
treatment and to watch for drug-seeking behaviour [USMed; HCP]; the ASA asks for a diversion
watch [ASA] (clinical.md sections 2, 3 and 6). The thresholds are project defaults with no source
that sets them (**unverified**): every one is a setting of ``Thresholds``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.surveillance.rules.labels import drug_label, route_label

WATCH_SOURCE = (
    "Esketamine label and REMS: assess abuse risk, watch for drug-seeking [USMed; HCP]; "
    "ASA ketamine guidance: diversion watch [ASA] (clinical.md 2, 6)."
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    #: Sessions moved earlier than the calendar set them, at or above which a flag shows.
    early_requests: int = 1  # unverified: a single early request is worth a look
    #: Rise of the latest dose over the first dose of the same drug and route, in percent,
    #: strictly above which a flag shows. 50 lets the label's 56 -> 84 mg esketamine step pass
    #: [HCP] (clinical.md 2). Unverified.
    escalation_percent: int = 50
    #: Lost or stolen stock reports and unresolved count discrepancies on containers that
    #: supplied the patient's doses, at or above which a flag shows.
    loss_reports: int = 1
    discrepancies: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.early_requests <= 20:
            raise ValueError(f"early_requests must be 1-20, got {self.early_requests}")
        if not 1 <= self.escalation_percent <= 500:
            raise ValueError(f"escalation_percent must be 1-500, got {self.escalation_percent}")
        if not 1 <= self.loss_reports <= 20 or not 1 <= self.discrepancies <= 20:
            raise ValueError("loss_reports and discrepancies must be 1-20")


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class EarlyRequest:
    """A session moved to an earlier time than the calendar had set."""

    original: dt.datetime
    moved_to: dt.datetime
    reason: str


@dataclass(frozen=True, slots=True)
class GivenDose:
    when: dt.datetime
    drug: str
    route: str
    mg: Decimal


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    title: str
    reason: str
    source: str


def early_request_flag(
    requests: Sequence[EarlyRequest], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Flag | None:
    if len(requests) < thresholds.early_requests:
        return None
    days = [
        f"{r.original.date().isoformat()} moved {_days(r.original - r.moved_to)} earlier"
        + (f" ({r.reason})" if r.reason else "")
        for r in requests
    ]
    return Flag(
        "early_requests",
        "Sessions brought forward",
        f"{len(requests)} session(s) moved earlier than the schedule: " + "; ".join(days),
        WATCH_SOURCE,
    )


def _days(delta: dt.timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days >= 1:
        return f"{days:.0f} day(s)"
    return f"{delta.total_seconds() / 3600:.0f} hour(s)"


def escalation_flag(
    doses: Sequence[GivenDose], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Flag | None:
    """The latest dose of a drug and route against the first, per drug and route."""
    reasons = []
    by_kind: dict[tuple[str, str], list[GivenDose]] = {}
    for d in sorted(doses, key=lambda d: d.when):
        by_kind.setdefault((d.drug, d.route), []).append(d)
    for (drug, route), given in by_kind.items():
        first, last = given[0], given[-1]
        if len(given) < 2 or first.mg <= 0:
            continue
        rise = (last.mg - first.mg) * 100 / first.mg
        if rise > thresholds.escalation_percent:
            reasons.append(
                f"{drug_label(drug)}, {route_label(route).lower()}: {_mg(first.mg)} mg on {first.when.date().isoformat()} to "
                f"{_mg(last.mg)} mg on {last.when.date().isoformat()} (+{rise:.0f}%, limit "
                f"{thresholds.escalation_percent}%)"
            )
    if not reasons:
        return None
    return Flag("dose_escalation", "Dose escalation", "; ".join(reasons), WATCH_SOURCE)


def _mg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def count_flag(code: str, title: str, count: int, threshold: int, what: str) -> Flag | None:
    if count < threshold:
        return None
    return Flag(code, title, f"{count} {what}", WATCH_SOURCE)


def misuse_flags(
    *,
    early: Sequence[EarlyRequest],
    doses: Sequence[GivenDose],
    loss_reports: int,
    discrepancies: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Flag]:
    """Every indicator that fires, in a fixed order."""
    found = [
        early_request_flag(early, thresholds),
        escalation_flag(doses, thresholds),
        count_flag(
            "lost_doses",
            "Reported lost doses",
            loss_reports,
            thresholds.loss_reports,
            "loss or theft report(s) on stock that supplied this patient's doses",
        ),
        count_flag(
            "ledger_discrepancies",
            "Ledger discrepancies",
            discrepancies,
            thresholds.discrepancies,
            "count discrepancy(ies) on containers that supplied this patient's doses",
        ),
    ]
    return [f for f in found if f is not None]
