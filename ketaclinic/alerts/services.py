from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert, AlertKind, Severity
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.patients.models import Patient


@transaction.atomic
def alert_raise(
    *,
    by: Membership | None,
    clinic_id: int,
    kind: AlertKind,
    severity: Severity,
    title: str,
    patient: Patient | None = None,
    detail: str = "",
    source_type: str = "",
    source_id: str = "",
) -> Alert:
    """Raise an alert. Idempotent per (kind, source): raising it again returns the existing one."""
    if patient is not None and patient.clinic_id != clinic_id:
        raise ValidationError("An alert's patient must belong to the alert's clinic.")
    if source_id:
        existing = Alert.objects.filter(
            kind=kind, source_type=source_type, source_id=source_id
        ).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                clinic_id=clinic_id,
                patient=patient,
                kind=str(kind),
                severity=str(severity),
                title=title,
                detail=detail,
                source_type=source_type,
                source_id=source_id,
                raised_at=timezone.now(),
                raised_by_id=by.user_id if by else None,
            )
    except IntegrityError:  # raised concurrently by another request for the same source
        return Alert.objects.get(kind=kind, source_type=source_type, source_id=source_id)
    audit_record(
        event_type=EventType.ALERT_RAISED,
        actor=by,
        clinic_id=clinic_id,
        obj=alert,
        patient_id=patient.pk if patient else None,
        extra={
            "kind": str(kind),
            "severity": str(severity),
            "source": f"{source_type}:{source_id}",
        },
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, by: Membership, alert: Alert, note: str) -> Alert:
    if not by.can(Perm.ALERT_ACKNOWLEDGE):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": "Write what you reviewed and decided."})
    locked = Alert.objects.select_for_update().get(pk=alert.pk, clinic_id=by.clinic_id)
    if locked.acknowledged_at is not None:
        raise ValidationError(
            {
                "note": "Already acknowledged by another user at "
                f"{locked.acknowledged_at.astimezone(by.clinic.tzinfo):%H:%M %Z}."
            }
        )
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by_id = by.user_id
    locked.acknowledgement_note = note.strip()
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
    audit_record(
        event_type=EventType.ALERT_ACKNOWLEDGED,
        actor=by,
        obj=locked,
        patient_id=locked.patient_id,
        reason=locked.acknowledgement_note,
    )
    return locked
