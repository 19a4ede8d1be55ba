"""The daily reminder of overdue safety-surveillance items (issue 11's schedule; issue 15's
"reminders" job): one alert per patient, item and due date, raised by ``ops``' daily job so that the
clinic's alert list shows what the surveillance page shows, without anyone opening that page.

Idempotent per (patient, item, due date): a second run the same day, or a retried job, raises
nothing new; once the item is recorded as done its next due date is later, so a new alert is raised
only when that one is overdue in turn."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.alerts.models import Alert, AlertKind, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.surveillance.selectors import clinic_settings, overdue_items

SOURCE_TYPE = "surveillance_due"


@dataclass(frozen=True)
class ReminderResult:
    clinics: int
    overdue: int
    raised: int


def surveillance_due_alerts() -> ReminderResult:
    """Raise an alert for every overdue surveillance item of every clinic's patients in an
    active course ("today" is each clinic's own date)."""
    now = timezone.now()
    clinics = overdue = raised = 0
    for clinic in Clinic.objects.all():
        clinics += 1
        today = now.astimezone(clinic.tzinfo).date()
        policy, _, _ = clinic_settings(clinic_id=clinic.pk)
        for row in overdue_items(clinic_id=clinic.pk, today=today, policy=policy):
            overdue += 1
            source_id = f"{row.patient.pk}:{row.item.kind}:{row.item.due_on.isoformat()}"
            if Alert.objects.filter(
                kind=AlertKind.SURVEILLANCE, source_type=SOURCE_TYPE, source_id=source_id
            ).exists():
                continue
            alert_raise(
                by=None,
                clinic_id=clinic.pk,
                kind=AlertKind.SURVEILLANCE,
                severity=Severity.WARNING,
                title=f"{row.item.label} overdue",
                patient=row.patient,
                detail=f"Due on {row.item.due_on.isoformat()}: {row.item.reason}",
                source_type=SOURCE_TYPE,
                source_id=source_id,
            )
            raised += 1
    return ReminderResult(clinics=clinics, overdue=overdue, raised=raised)
