from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.apps import apps
from django.db.models import Q, QuerySet

from ketaclinic.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    patient_id: UUID | None = None
    event_type: str = ""
    start: datetime | None = None
    end: datetime | None = None


def audit_events_for_clinic(*, clinic_id: int, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """A clinic's events, newest first. Sign-in events carry no clinic; they are listed for the
    clinic's own users."""
    # The accounts app sits above audit: name its model by string, as a subquery (one query).
    membership = apps.get_model("accounts", "Membership")
    member_ids = membership.objects.filter(clinic_id=clinic_id).values("user_id")
    qs = AuditEvent.objects.filter(
        Q(clinic_id=clinic_id) | Q(clinic_id__isnull=True, actor_id__in=member_ids)
    ).select_related("actor")
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.event_type:
        qs = qs.filter(event_type=filters.event_type)
    if filters.start is not None:
        qs = qs.filter(event_time__gte=filters.start)
    if filters.end is not None:
        qs = qs.filter(event_time__lt=filters.end)
    return qs.order_by("-id")
