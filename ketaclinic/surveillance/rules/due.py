"""What surveillance is due when (pure: no Django).

Three items, each with its interval as a clinic setting and the source of the default:

- a urinary-symptom questionnaire and urinalysis: esketamine raises lower-urinary-tract symptoms
  over placebo and ketamine cystitis worsens with duration, so the project default is periodic
  LUTS/urinalysis prompts [Label; Sci Rep 2019;9:7240] (clinical.md section 6). The interval is
  not given by any source: **unverified**, a setting.
- liver function tests for repeated-dose programmes: FAERS hepatobiliary events with repeated or
  continuous supervised ketamine [Cotter et al., Drug Saf 2021;44:1365]; "LFT interval not
  standardised: configurable" (clinical.md section 6). **Unverified** default, a setting.
- a review of benefit at the end of induction [HCP: "benefit judged at end of induction"]
  (clinical.md section 2), then every N weeks (N **unverified**, a setting).

An item is anchored on the last time it was done, or, never done, on the course start (the
benefit review: the end of induction). It is "overdue" after its due date, "due soon" within
``due_soon_days`` of it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass


class ItemKind(enum.StrEnum):
    URINARY = "urinary"
    LIVER = "liver"
    BENEFIT_REVIEW = "benefit_review"


ITEM_LABELS: Mapping[ItemKind, str] = {
    ItemKind.URINARY: "Urinary-symptom questionnaire and urinalysis",
    ItemKind.LIVER: "Liver function tests",
    ItemKind.BENEFIT_REVIEW: "Review of benefit",
}


class DueStatus(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    NOT_DUE = "not_due"


STATUS_LABELS: Mapping[DueStatus, str] = {
    DueStatus.OVERDUE: "Overdue",
    DueStatus.DUE_SOON: "Due soon",
    DueStatus.NOT_DUE: "Not yet due",
}

#: Plausibility limits of an interval a clinic types (weeks): at least weekly, at most two years.
MIN_INTERVAL_WEEKS = 1
MAX_INTERVAL_WEEKS = 104
#: Induction lasts 4 weeks for esketamine TRD and MDSI [HCP]; racemic courses of 4-6 infusions
#: over about 2-3 weeks [Andrade17; Osmind 2023] (clinical.md sections 2-3).
MAX_INDUCTION_WEEKS = 26


@dataclass(frozen=True, slots=True)
class Policy:
    """A clinic's surveillance intervals (weeks). The defaults are project defaults, marked
    unverified where clinical.md is: every one is a setting of the clinic."""

    urinary_interval_weeks: int = 12  # unverified: no source gives an interval (clinical.md 6)
    liver_interval_weeks: int = 12  # unverified: "not standardised" [Cotter 2021]
    induction_weeks: int = 4  # esketamine induction, weeks 1-4 [HCP]
    review_interval_weeks: int = 12  # unverified: "then every N weeks" (issue 11)
    due_soon_days: int = 14  # a display choice: items within two weeks show as due soon

    def __post_init__(self) -> None:
        for name in ("urinary_interval_weeks", "liver_interval_weeks", "review_interval_weeks"):
            value = getattr(self, name)
            if not MIN_INTERVAL_WEEKS <= value <= MAX_INTERVAL_WEEKS:
                raise ValueError(
                    f"{name} must be {MIN_INTERVAL_WEEKS}-{MAX_INTERVAL_WEEKS} weeks, got {value}"
                )
        if not 1 <= self.induction_weeks <= MAX_INDUCTION_WEEKS:
            raise ValueError(
                f"induction_weeks must be 1-{MAX_INDUCTION_WEEKS}, got {self.induction_weeks}"
            )
        if not 0 <= self.due_soon_days <= 60:
            raise ValueError(f"due_soon_days must be 0-60, got {self.due_soon_days}")


DEFAULT_POLICY = Policy()

SOURCES: Mapping[ItemKind, str] = {
    ItemKind.URINARY: "Esketamine label (LUTS > placebo); Sci Rep 2019;9:7240 (ketamine cystitis "
    "worsens with duration). Interval: project default, unverified.",
    ItemKind.LIVER: "Cotter et al., Drug Saf 2021;44:1365 (hepatobiliary events with repeated "
    "ketamine). Interval not standardised: project default, unverified.",
    ItemKind.BENEFIT_REVIEW: "SPRAVATO HCP dosing: benefit judged at the end of induction. "
    "Later interval: project default, unverified.",
}


@dataclass(frozen=True, slots=True)
class DueItem:
    kind: ItemKind
    due_on: dt.date
    status: DueStatus
    reason: str
    source: str
    last_done: dt.date | None

    @property
    def label(self) -> str:
        return ITEM_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _status(due_on: dt.date, today: dt.date, policy: Policy) -> DueStatus:
    if due_on < today:
        return DueStatus.OVERDUE
    if (due_on - today).days <= policy.due_soon_days:
        return DueStatus.DUE_SOON
    return DueStatus.NOT_DUE


def due_items(
    *,
    course_start: dt.date | None,
    repeated_dose: bool,
    last_done: Mapping[ItemKind, dt.date],
    today: dt.date,
    policy: Policy = DEFAULT_POLICY,
) -> list[DueItem]:
    """The surveillance items of a patient under treatment, each with its due date and status.

    ``course_start``: the start of the patient's first course still followed (None: not under
    treatment, nothing is due). ``repeated_dose``: the programme gives more than one dose (liver
    tests apply only then). ``last_done``: the latest date each item was done."""
    if course_start is None:
        return []
    items: list[DueItem] = []

    def add(kind: ItemKind, weeks: int, first_due: dt.date, first_reason: str) -> None:
        done = last_done.get(kind)
        # A baseline test before the course counts; a review of benefit only after it began.
        counts = done is not None and (kind != ItemKind.BENEFIT_REVIEW or done >= course_start)
        if done is not None and counts:
            due_on = done + dt.timedelta(weeks=weeks)
            reason = f"last done {done.isoformat()}; every {weeks} weeks"
        else:
            done = None
            due_on = first_due
            reason = first_reason
        items.append(
            DueItem(kind, due_on, _status(due_on, today, policy), reason, SOURCES[kind], done)
        )

    w = policy.urinary_interval_weeks
    add(
        ItemKind.URINARY,
        w,
        course_start + dt.timedelta(weeks=w),
        f"never done since the course began {course_start.isoformat()}; every {w} weeks",
    )
    if repeated_dose:
        w = policy.liver_interval_weeks
        add(
            ItemKind.LIVER,
            w,
            course_start + dt.timedelta(weeks=w),
            f"repeated-dose programme since {course_start.isoformat()}; every {w} weeks",
        )
    induction = policy.induction_weeks
    add(
        ItemKind.BENEFIT_REVIEW,
        policy.review_interval_weeks,
        course_start + dt.timedelta(weeks=induction),
        f"end of induction ({induction} weeks after {course_start.isoformat()})",
    )
    return items
