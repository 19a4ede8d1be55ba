"""Follow-up ratings: a scale a protocol asks for some days after each dose (pure: no Django).

OCD: the Y-BOCS before the infusion and again one week after it (Rodriguez et al.,
Neuropsychopharmacology 2013;38:2475; response = a fall of at least 35 %). Before this module
the one-week rating was only in the protocol's notes: nothing reminded anyone.

For each dosed session of a protocol with follow-up ratings, one item per rating: due on the
clinic-local day ``days_after_dose`` after the dose, counted when rated from ``early_days``
before that day to ``late_days`` after it (**unverified** project defaults, settings of the
protocol version; ``protocol.FollowUpRating``). A rating that comes later still closes the item,
marked late. The next dose ends the interval: a follow-up not rated by then is missed (the next
session's own pre-session rating measures from a new dose).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ketaclinic.treatment.domain.protocol import FollowUpRating, Protocol

#: Plausibility limits of a follow-up rule (days). A follow-up beyond 12 weeks is not a
#: follow-up of one dose; a window wider than 4 weeks measures something else.
MAX_DAYS_AFTER_DOSE = 84
MAX_WINDOW_DAYS = 28


class FollowUpStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"
    MISSED = "missed"


STATUS_LABELS = {
    FollowUpStatus.UPCOMING: "Upcoming",
    FollowUpStatus.DUE: "Due",
    FollowUpStatus.OVERDUE: "Overdue",
    FollowUpStatus.DONE: "Done",
    FollowUpStatus.DONE_LATE: "Done, late",
    FollowUpStatus.MISSED: "Missed (the next dose came first)",
}

OPEN = frozenset({FollowUpStatus.DUE, FollowUpStatus.OVERDUE})


@dataclass(frozen=True, slots=True)
class Dose:
    """One dosed session: its id, its number in the course, when dosing started, and the
    follow-up ratings of its protocol version."""

    session_id: int
    number: int
    dosed_at: dt.datetime
    rules: tuple[FollowUpRating, ...] = ()


@dataclass(frozen=True, slots=True)
class Rating:
    """One final response of a scale: its code, id and the time its answers refer to."""

    scale: str
    response_id: int
    effective_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FollowUpItem:
    scale: str
    dose: Dose
    due_on: dt.date
    window_from: dt.date
    window_to: dt.date
    status: FollowUpStatus
    rating: Rating | None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def rule_problems(p: Protocol) -> list[tuple[str, str]]:
    """Every reason the protocol's follow-up rules are impossible: (field, message)."""
    problems: list[tuple[str, str]] = []
    seen: set[tuple[str, int]] = set()
    for i, r in enumerate(p.follow_up_ratings):
        where = f"follow_up_ratings[{i}]"
        if not r.scale:
            problems.append((f"{where}.scale", "must name a rating scale"))
        if not 1 <= r.days_after_dose <= MAX_DAYS_AFTER_DOSE:
            problems.append(
                (
                    f"{where}.days_after_dose",
                    f"allowed 1-{MAX_DAYS_AFTER_DOSE} days, got {r.days_after_dose}",
                )
            )
        if not 0 <= r.early_days < r.days_after_dose:
            problems.append(
                (
                    f"{where}.early_days",
                    f"allowed 0-{max(r.days_after_dose - 1, 0)} days (after the dose), "
                    f"got {r.early_days}",
                )
            )
        if not 0 <= r.late_days <= MAX_WINDOW_DAYS:
            problems.append(
                (f"{where}.late_days", f"allowed 0-{MAX_WINDOW_DAYS} days, got {r.late_days}")
            )
        if (r.scale, r.days_after_dose) in seen:
            problems.append((where, f"{r.scale} at day {r.days_after_dose} is listed twice"))
        seen.add((r.scale, r.days_after_dose))
    return problems


def follow_up_items(
    doses: Iterable[Dose],
    ratings: Iterable[Rating],
    *,
    today: dt.date,
    tz: dt.tzinfo,
) -> list[FollowUpItem]:
    """One item per dose and rule of the dose's protocol, oldest dose first. Every dose of the
    patient counts as "the next dose", whatever its protocol. ``today`` is the clinic-local
    date."""
    ordered = sorted(doses, key=lambda d: d.dosed_at)
    by_scale: dict[str, list[Rating]] = {}
    for r in sorted(ratings, key=lambda r: r.effective_at):
        by_scale.setdefault(r.scale, []).append(r)
    items = []
    for k, dose in enumerate(ordered):
        next_dose = ordered[k + 1].dosed_at if k + 1 < len(ordered) else None
        day = dose.dosed_at.astimezone(tz).date()
        for rule in dose.rules:
            due = day + dt.timedelta(days=rule.days_after_dose)
            start = due - dt.timedelta(days=rule.early_days)
            end = due + dt.timedelta(days=rule.late_days)
            rating = next(
                (
                    r
                    for r in by_scale.get(rule.scale, ())
                    if r.effective_at > dose.dosed_at
                    and r.effective_at.astimezone(tz).date() >= start
                    and (next_dose is None or r.effective_at < next_dose)
                ),
                None,
            )
            items.append(
                FollowUpItem(
                    scale=rule.scale,
                    dose=dose,
                    due_on=due,
                    window_from=start,
                    window_to=end,
                    status=_status(
                        rating,
                        start=start,
                        end=end,
                        today=today,
                        dosed_again=next_dose is not None,
                        tz=tz,
                    ),
                    rating=rating,
                )
            )
    return items


def _status(
    rating: Rating | None,
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    dosed_again: bool,
    tz: dt.tzinfo,
) -> FollowUpStatus:
    if rating is not None:
        late = rating.effective_at.astimezone(tz).date() > end
        return FollowUpStatus.DONE_LATE if late else FollowUpStatus.DONE
    if dosed_again:
        return FollowUpStatus.MISSED
    if today < start:
        return FollowUpStatus.UPCOMING
    return FollowUpStatus.DUE if today <= end else FollowUpStatus.OVERDUE
