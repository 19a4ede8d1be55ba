from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert, Severity
from ketaclinic.lib.context import note_read
from ketaclinic.patients.models import Patient


def alerts_for_clinic(*, membership: Membership, open_only: bool = True) -> QuerySet[Alert]:
    if not membership.can(Perm.ALERT_VIEW):
        raise PermissionDenied
    qs = Alert.objects.filter(clinic_id=membership.clinic_id).select_related(
        "patient", "acknowledged_by"
    )
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-raised_at")


def open_alerts_for_patient(*, membership: Membership, patient: Patient) -> list[Alert]:
    if not membership.can(Perm.ALERT_VIEW) or patient.clinic_id != membership.clinic_id:
        return []
    return list(
        Alert.objects.filter(patient=patient, acknowledged_at__isnull=True).order_by("-raised_at")
    )


def open_alert_count(*, membership: Membership) -> int:
    if not membership.can(Perm.ALERT_VIEW):
        return 0
    return Alert.objects.filter(
        clinic_id=membership.clinic_id, acknowledged_at__isnull=True
    ).count()


def get_alert_for_user(*, membership: Membership | None, pk: int) -> Alert:
    if membership is None:
        raise Http404
    alert = (
        Alert.objects.select_related("patient")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if alert is None:
        raise Http404
    if not membership.can(Perm.ALERT_VIEW):
        raise PermissionDenied
    note_read(alert, alert.patient_id)
    return alert


def open_alert_counts(
    *, source_type: str, source_ids: Iterable[object], severity: str | None = None
) -> dict[str, int]:
    """Unacknowledged alerts per source row (``source_type`` from ``AlertSource``), for another
    app that shows its own rows with their open alerts; ids without one are absent. The caller
    has already scoped ``source_ids`` to the user's clinic. ``severity``: only those."""
    ids = [str(i) for i in source_ids]
    if not ids:
        return {}
    qs = Alert.objects.filter(
        source_type=source_type, source_id__in=ids, acknowledged_at__isnull=True
    )
    if severity is not None:
        qs = qs.filter(severity=severity)
    rows = qs.values("source_id").annotate(n=Count("id"))
    return {str(row["source_id"]): int(row["n"]) for row in rows}


def open_critical_alerts_by_patient(
    *, membership: Membership, patient_ids: Iterable[UUID]
) -> dict[UUID, list[Alert]]:
    """Each patient's unacknowledged critical alerts (suicidal ideation, C-SSRS risk, a
    hypertensive crisis, ...), newest first, in one query: what the chair board shows on a
    patient's row. Patients of another clinic are left out; a role without ``ALERT_VIEW`` gets
    nothing."""
    ids = list(patient_ids)
    if not ids or not membership.can(Perm.ALERT_VIEW):
        return {}
    found: dict[UUID, list[Alert]] = {}
    for alert in Alert.objects.filter(
        clinic_id=membership.clinic_id,
        patient_id__in=ids,
        severity=Severity.CRITICAL,
        acknowledged_at__isnull=True,
    ).order_by("-raised_at", "-pk"):
        if alert.patient_id is not None:
            found.setdefault(alert.patient_id, []).append(alert)
    return found
