"""Helpers shared by the treatment services: permission and clinic checks, the session row lock
(which refuses a signed session), times given by staff, and the session's audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment.models import SessionPhase, TreatmentSession


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
