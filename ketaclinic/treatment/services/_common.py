"""Helpers shared by the treatment services: permission and clinic checks, the session row lock
(which refuses a signed session), times given by staff, and the session's audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment.domain import timing
from ketaclinic.treatment.models import PrescriberDecision, SessionPhase, TreatmentSession


def _need(by: Membership, *perms: Perm) -> None:
    if not any(by.can(p) for p in perms):
        raise PermissionDenied


def _own(by: Membership, clinic_id: int) -> None:
    if clinic_id != by.clinic_id:
        raise PermissionDenied


_SIGNED_AND_LOCKED = "This session is signed and locked; a change is an amendment with a reason."


def _lock_session(by: Membership, session: TreatmentSession) -> TreatmentSession:
    """Re-read the session under a row lock (PostgreSQL; SQLite writers are serialised by the
    IMMEDIATE transaction mode) and refuse a signed one."""
    _own(by, session.clinic_id)
    locked = (
        TreatmentSession.objects.select_for_update()
        .select_related("protocol_version", "patient", "clinic", "course")
        .get(pk=session.pk)
    )
    if locked.signed_at is not None:
        raise ValidationError(_SIGNED_AND_LOCKED)
    return locked


def _now_or(value: dt.datetime | None, field: str) -> dt.datetime:
    now = timezone.now()
    if value is None:
        return now
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError({field: "Give a time with its time zone."})
    if value > now + dt.timedelta(minutes=1):
        raise ValidationError({field: "This time is in the future; record what has happened."})
    return value


def clock_skew() -> dt.timedelta:
    """The clock-skew allowance of ``timing`` (a project default of 2 minutes, not a clinical
    fact; the setting ``KETACLINIC_CLOCK_SKEW_MINUTES`` overrides it)."""
    minutes = getattr(settings, "KETACLINIC_CLOCK_SKEW_MINUTES", None)
    return timing.DEFAULT_SKEW if minutes is None else dt.timedelta(minutes=int(minutes))


def session_clock(
    s: TreatmentSession, now: dt.datetime | None = None, *, with_decision: bool = True
) -> timing.SessionClock:
    """The session's times for ``timing``; ``with_decision=False`` spares the query for the
    last decision where the step does not depend on it (readings)."""
    last_decision = (
        PrescriberDecision.objects.filter(session_id=s.pk)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
        if with_decision
        else None
    )
    return timing.SessionClock(
        now=now or timezone.now(),
        checked_in_at=s.checked_in_at,
        last_decision_at=last_decision,
        dose_started_at=s.dose_started_at,
        skew=clock_skew(),
    )


def _clinical_time(
    by: Membership,
    s: TreatmentSession,
    value: dt.datetime | None,
    *,
    field: str,
    label: str,
    step: timing.Step,
) -> dt.datetime:
    """A time typed for ``s`` (now when left blank), checked by the one rule of
    ``domain/timing.py``; the error is keyed by ``field`` and names ``label``."""
    clock = session_clock(s, with_decision=step is timing.Step.DOSE)
    when = clock.now if value is None else value
    problem = timing.time_problem(
        field=label, when=when, step=step, clock=clock, tz=by.clinic.tzinfo
    )
    if problem:
        raise ValidationError({field: problem})
    return when


def _session_audit(
    by: Membership, session: TreatmentSession, event: EventType, **kwargs: Any
) -> None:
    audit_record(event_type=event, actor=by, obj=session, patient_id=session.patient_id, **kwargs)


def _set_phase(by: Membership, s: TreatmentSession, phase: SessionPhase, **extra: Any) -> None:
    old = s.phase
    s.phase = phase
    for k, v in extra.items():
        setattr(s, k, v)
    s.save(update_fields=["phase", *extra])
    _session_audit(by, s, EventType.SESSION_PHASE_CHANGED, changes={"phase": (old, phase)})
