"""Deadlines and ages, pure: the loss-or-theft notice (one business day after discovery), DEA Form
106 (45 days, 88 FR 40707), expiry within 30 days, and containers open too long."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

FORM_106_DAYS = 45
EXPIRY_WARNING_DAYS = 30
# A punctured multi-dose vial: 28 days unless the maker says otherwise (USP <797> beyond-use date).
OPEN_CONTAINER_DAYS = 28


def next_business_day(day: dt.date, business_days: Iterable[int] = (0, 1, 2, 3, 4)) -> dt.date:
    """The first business day after ``day`` (weekday numbers, Monday 0)."""
    days = set(business_days) or {0, 1, 2, 3, 4}
    nxt = day + dt.timedelta(days=1)
    while nxt.weekday() not in days:
        nxt += dt.timedelta(days=1)
    return nxt


@dataclass(frozen=True)
class LossDeadlines:
    notice_due: dt.date  # written notice to the DEA Field Division
    form_106_due: dt.date


def loss_deadlines(
    discovered_on: dt.date, business_days: Iterable[int] = (0, 1, 2, 3, 4)
) -> LossDeadlines:
    return LossDeadlines(
        notice_due=next_business_day(discovered_on, business_days),
        form_106_due=discovered_on + dt.timedelta(days=FORM_106_DAYS),
    )


def expires_soon(expiry: dt.date, today: dt.date, days: int = EXPIRY_WARNING_DAYS) -> bool:
    return expiry <= today + dt.timedelta(days=days)


def is_expired(expiry: dt.date, today: dt.date) -> bool:
    """Usable through the last day printed on the label."""
    return expiry < today


def open_too_long(opened_on: dt.date, today: dt.date, days: int = OPEN_CONTAINER_DAYS) -> bool:
    return (today - opened_on).days > days
