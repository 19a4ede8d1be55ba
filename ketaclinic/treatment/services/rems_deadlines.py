"""REMS deadlines (periodic: ``ketaclinic treatment rems-deadlines``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.utils import timezone

from ketaclinic.alerts.models import Alert, AlertKind, AlertSource, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.models import RemsMonitoringForm
from ketaclinic.treatment.selectors.signing import pmf_treatment_date


@dataclasses.dataclass(frozen=True)
class DeadlineRun:
    checked: int  # unsubmitted forms looked at
    due_soon: int  # new warning alerts
    overdue: int  # new critical alerts


def rems_deadline_alerts(*, now: dt.datetime | None = None) -> DeadlineRun:
    """Alerts for every esketamine Patient Monitoring Form not yet submitted: a warning when 2 days
    or fewer are left before its 7-day deadline, a critical alert once it is overdue (days counted
    in each clinic's local dates, as on the REMS dashboard). Idempotent per form and stage:
    running it again raises nothing new (alerts.services.alert_raise keys on the source)."""
    now = now or timezone.now()
    forms = list(
        RemsMonitoringForm.objects.filter(submitted_at__isnull=True)
        .select_related("clinic", "session", "session__patient")
        .order_by("due_date", "pk")
    )
    stages: list[tuple[RemsMonitoringForm, rems.PmfDeadline]] = []
    for form in forms:
        today = now.astimezone(form.clinic.tzinfo).date()
        deadline = rems.pmf_deadline(pmf_treatment_date(form), today=today, submitted=False)
        if deadline.status in (rems.DeadlineStatus.DUE_SOON, rems.DeadlineStatus.OVERDUE):
            stages.append((form, deadline))
    existing = set(
        Alert.objects.filter(
            kind=AlertKind.REMS_DEADLINE,
            source_type=AlertSource.REMS_FORM,
            source_id__in=[f"{f.pk}:{d.status.value}" for f, d in stages],
        ).values_list("source_id", flat=True)
    )
    due_soon = overdue = 0
    for form, deadline in stages:
        source_id = f"{form.pk}:{deadline.status.value}"
        if source_id in existing:
            continue
        late = deadline.status is rems.DeadlineStatus.OVERDUE
        if late:
            title = f"REMS form overdue: session {form.session.number}, due {form.due_date}"
            detail = (
                f"The Patient Monitoring Form was due on {form.due_date.isoformat()} (within 7 "
                "days of the session) and is not marked submitted. File it and record the "
                "confirmation number."
            )
        else:
            title = f"REMS form due {form.due_date}: session {form.session.number}"
            detail = (
                f"{deadline.days_left} day(s) left to file the Patient Monitoring Form (due "
                f"{form.due_date.isoformat()})."
            )
        with transaction.atomic():
            alert_raise(
                by=None,
                clinic_id=form.clinic_id,
                kind=AlertKind.REMS_DEADLINE,
                severity=Severity.CRITICAL if late else Severity.WARNING,
                title=title,
                patient=form.session.patient,
                detail=detail,
                source_type=AlertSource.REMS_FORM,
                source_id=source_id,
            )
        if late:
            overdue += 1
        else:
            due_soon += 1
    return DeadlineRun(checked=len(forms), due_soon=due_soon, overdue=overdue)


__all__ = [
    "DeadlineRun",
    "rems_deadline_alerts",
]
