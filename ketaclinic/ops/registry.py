"""The jobs the worker knows. A job is a function of its ``JobRun`` returning a one-line summary
(counts only, never patient data). ``every`` makes it periodic; ``None`` makes it one-off, run when
code calls ``ops.runner.job_enqueue`` (the hook for exports: register the job, then enqueue it).

``transactional`` jobs run inside the transaction that marks their run done, so an attempt that
raises or dies (kill -9) leaves no effect and the retry does the work once. A job whose effect is
outside the database (a file) must make its effect idempotent instead."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ketaclinic.ops.models import JobRun

Every = Literal["hour", "day"]


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    label: str
    run: Callable[[JobRun], str]
    every: Every | None = None
    transactional: bool = True


_JOBS: dict[str, Job] = {}


class UnknownJobError(KeyError):
    pass


def register(job: Job) -> Job:
    _JOBS[job.name] = job
    return job


def get(name: str) -> Job:
    try:
        return _JOBS[name]
    except KeyError:
        raise UnknownJobError(name) from None


def periodic() -> list[Job]:
    return [j for j in _JOBS.values() if j.every is not None]


def period_key(every: Every, now: dt.datetime) -> str:
    """The period ``now`` (UTC) falls in: ``2026-12-01T15`` (hourly) or ``2026-12-01`` (daily)."""
    utc = now.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H") if every == "hour" else utc.strftime("%Y-%m-%d")


def label_of(name: str) -> str:
    job = _JOBS.get(name)
    return job.label if job else name
