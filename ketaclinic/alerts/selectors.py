from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert
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


def open_alert_counts(*, source_type: str, source_ids: Iterable[object]) -> dict[str, int]:
    """Unacknowledged alerts per source row (``source_type`` from ``AlertSource``), for another
    app that shows its own rows with their open alerts; ids without one are absent. The caller
    has already scoped ``source_ids`` to the user's clinic."""
    ids = [str(i) for i in source_ids]
    if not ids:
        return {}
    rows = (
        Alert.objects.filter(
            source_type=source_type, source_id__in=ids, acknowledged_at__isnull=True
        )
        .values("source_id")
        .annotate(n=Count("id"))
    )
    return {str(row["source_id"]): int(row["n"]) for row in rows}
