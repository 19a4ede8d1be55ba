"""The daily reminder of overdue safety-surveillance items (issue 11's schedule; issue 15's
"reminders" job): one alert per patient, item and due date, raised by ``ops``' daily job so that the
clinic's alert list shows what the surveillance page shows, without anyone opening that page.

Idempotent per (patient, item, due date): a second run the same day, or a retried job, raises
nothing new; once the item is recorded as done its next due date is later, so a new alert is raised
only when that one is overdue in turn.

Queries: a fixed number per clinic (its policy, the overdue items' two queries and one query for
the alerts already raised for those items), whatever the number of overdue items; only an alert
actually raised costs its own statements (the alert row and its audit event)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.alerts.models import Alert, AlertKind, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.surveillance.selectors import OverdueRow, clinic_settings, overdue_items

SOURCE_TYPE = "surveillance_due"


@dataclass(frozen=True)
class ReminderResult:
    clinics: int
    overdue: int
    raised: int


def _source_id(row: OverdueRow) -> str:
    return f"{row.patient.pk}:{row.item.kind}:{row.item.due_on.isoformat()}"


def surveillance_due_alerts() -> ReminderResult:
    """Raise an alert for every overdue surveillance item of every clinic's patients in an
    active course ("today" is each clinic's own date)."""
    now = timezone.now()
    clinics = overdue = raised = 0
    for clinic in Clinic.objects.all():
        clinics += 1
        today = now.astimezone(clinic.tzinfo).date()
        policy, _, _ = clinic_settings(clinic_id=clinic.pk)
        rows = overdue_items(clinic_id=clinic.pk, today=today, policy=policy)
        overdue += len(rows)
        if not rows:
            continue
        wanted = {_source_id(row): row for row in rows}
        # One query for the whole clinic (the old code asked once per item). The unique
        # constraint on (kind, source) stays the guarantee against a concurrent run.
        raised_before = set(
            Alert.objects.filter(
                clinic_id=clinic.pk,
                kind=AlertKind.SURVEILLANCE,
                source_type=SOURCE_TYPE,
                source_id__in=list(wanted),
            ).values_list("source_id", flat=True)
        )
        for source_id, row in wanted.items():
            if source_id in raised_before:
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
