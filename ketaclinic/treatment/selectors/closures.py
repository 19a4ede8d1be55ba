"""Reads of clinic closures and of the scheduled sessions that fall on a closed day."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from ketaclinic.accounts.models import Membership
from ketaclinic.treatment.models import ClinicClosure, SessionPhase, TreatmentSession
from ketaclinic.treatment.selectors.access import can_manage_closures


def closures_for_clinic(*, membership: Membership) -> list[ClinicClosure]:
    """Every closure of the clinic, cancelled ones included (they are never deleted), newest
    date first."""
    if not can_manage_closures(membership):
        raise PermissionDenied
    return list(
        ClinicClosure.objects.filter(clinic_id=membership.clinic_id)
        .select_related("created_by", "cancelled_by")
        .order_by("-date", "-id")
    )


def sessions_on_closures(
    *, membership: Membership, closures: list[ClinicClosure]
) -> dict[int, list[TreatmentSession]]:
    """Scheduled (not yet started) sessions that fall on a closed day, by closure id: they need
    moving by hand. One query whatever the number of closures and sessions."""
    if not can_manage_closures(membership):
        raise PermissionDenied
    tz = membership.clinic.tzinfo
    active = {c.date: c.pk for c in closures if not c.cancelled}
    if not active:
        return {}
    days = Q()
    for day in active:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        days |= Q(scheduled_at__gte=start, scheduled_at__lt=end)
    result: dict[int, list[TreatmentSession]] = {}
    sessions = (
        TreatmentSession.objects.filter(
            days, clinic_id=membership.clinic_id, phase=SessionPhase.SCHEDULED
        )
        .select_related("patient", "course")
        .order_by("scheduled_at")
    )
    for s in sessions:
        closure_id = active.get(s.scheduled_at.astimezone(tz).date())
        if closure_id is not None:
            result.setdefault(closure_id, []).append(s)
    return result


def closed_dates(*, clinic_id: int) -> frozenset[dt.date]:
    return frozenset(
        ClinicClosure.objects.filter(clinic_id=clinic_id, cancelled=False).values_list(
            "date", flat=True
        )
    )
