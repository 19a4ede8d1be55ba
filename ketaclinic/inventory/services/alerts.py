"""Stock alerts (periodic: ``ketaclinic inventory alerts``): lots expiring within 30 days, count
discrepancies not yet resolved, waste without a witness, a loss notice or DEA Form 106 overdue,
and opened vials past their 28 days. Idempotent: each alert is keyed on its source and reason
(``alerts.services.alert_raise``), so running it again raises nothing new."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.alerts.models import Alert, AlertKind, AlertSource, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.inventory.domain.deadlines import (
    EXPIRY_WARNING_DAYS,
    OPEN_CONTAINER_DAYS,
    expires_soon,
    open_too_long,
)
from ketaclinic.inventory.domain.quantities import EntryKind, fmt
from ketaclinic.inventory.models import CountLine, LedgerEntry, LossKind, LossReport
from ketaclinic.inventory.stock import balance_of, containers_in_stock


@dataclasses.dataclass(frozen=True)
class Candidate:
    clinic_id: int
    source_type: str
    source_id: str
    severity: Severity
    title: str
    detail: str


@dataclasses.dataclass(frozen=True)
class InventoryAlertRun:
    checked_clinics: int
    raised: int


def _discrepancy(clinic: Clinic, line: CountLine) -> Candidate:
    return Candidate(
        clinic.pk,
        AlertSource.STOCK_COUNT_LINE,
        f"{line.pk}:discrepancy",
        Severity.CRITICAL,
        f"Count discrepancy: {line.container.label}",
        f"Expected {fmt(line.expected)}, counted {fmt(line.counted)} at the count of "
        f"{line.count.counted_at.astimezone(clinic.tzinfo):%Y-%m-%d %H:%M}. The "
        "inventory manager investigates and resolves it.",
    )


def _clinic_candidates(clinic: Clinic, now: dt.datetime) -> list[Candidate]:
    today = now.astimezone(clinic.tzinfo).date()
    found: list[Candidate] = []
    for c in containers_in_stock(clinic_id=clinic.pk):
        if expires_soon(c.expiry_date, today):
            expired = c.expiry_date < today
            found.append(
                Candidate(
                    clinic.pk,
                    AlertSource.STOCK_CONTAINER,
                    f"{c.pk}:{'expired' if expired else 'expiring'}",
                    Severity.CRITICAL if expired else Severity.WARNING,
                    f"{c.label} (lot {c.lot_number}) {'expired' if expired else 'expires'} "
                    f"{c.expiry_date.isoformat()}",
                    f"{fmt(balance_of(c))} {c.product.unit_label} of {c.product.name} at "
                    f"{c.location.name}. Use it first or destroy it (DEA Form 41) once expired; "
                    f"warned {EXPIRY_WARNING_DAYS} days ahead.",
                )
            )
        if c.opened_at and open_too_long(c.opened_at.astimezone(clinic.tzinfo).date(), today):
            found.append(
                Candidate(
                    clinic.pk,
                    AlertSource.STOCK_CONTAINER,
                    f"{c.pk}:open_too_long",
                    Severity.WARNING,
                    f"{c.label} has been open more than {OPEN_CONTAINER_DAYS} days",
                    f"Opened {c.opened_at.astimezone(clinic.tzinfo):%Y-%m-%d}; "
                    f"{fmt(balance_of(c))} {c.product.unit_label} left. Waste the remainder with a "
                    "witness.",
                )
            )
    lines = CountLine.objects.filter(
        count__clinic_id=clinic.pk, resolved_at__isnull=True
    ).select_related("container", "count")
    found += [_discrepancy(clinic, line) for line in lines if line.is_discrepancy]
    unwitnessed = LedgerEntry.objects.filter(clinic_id=clinic.pk, witness__isnull=True).filter(
        Q(kind=EntryKind.WASTE) | Q(kind=EntryKind.ADMINISTRATION, wasted__gt=0)
    )
    found += [
        Candidate(
            clinic.pk,
            AlertSource.STOCK_ENTRY,
            f"{entry.pk}:unwitnessed_waste",
            Severity.CRITICAL,
            f"Waste without a witness: ledger entry {entry.sequence}",
            "Waste is witnessed by a second person. Investigate and document.",
        )
        for entry in unwitnessed
    ]
    for report in LossReport.objects.filter(clinic_id=clinic.pk).exclude(kind=LossKind.BREAKAGE):
        if report.notice_sent_on is None and report.notice_due < today:
            found.append(
                Candidate(
                    clinic.pk,
                    AlertSource.STOCK_LOSS_REPORT,
                    f"{report.pk}:notice_overdue",
                    Severity.CRITICAL,
                    f"DEA notice of {report.get_kind_display().lower()} overdue",
                    f"Found {report.discovered_on}; the written notice to the DEA Field Division "
                    f"was due {report.notice_due} (one business day).",
                )
            )
        if report.form_106_filed_on is None and report.form_106_due < today:
            found.append(
                Candidate(
                    clinic.pk,
                    AlertSource.STOCK_LOSS_REPORT,
                    f"{report.pk}:form_106_overdue",
                    Severity.CRITICAL,
                    "DEA Form 106 overdue",
                    f"Found {report.discovered_on}; Form 106 was due {report.form_106_due} "
                    "(45 days).",
                )
            )
    return found


def inventory_alerts(*, now: dt.datetime | None = None) -> InventoryAlertRun:
    now = now or timezone.now()
    clinics = list(Clinic.objects.all())
    candidates = [c for clinic in clinics for c in _clinic_candidates(clinic, now)]
    existing = set(
        Alert.objects.filter(
            kind=AlertKind.STOCK, source_id__in=[c.source_id for c in candidates]
        ).values_list("source_type", "source_id")
    )
    raised = 0
    for c in candidates:
        if (c.source_type, c.source_id) in existing:
            continue
        with transaction.atomic():
            alert_raise(
                by=None,
                clinic_id=c.clinic_id,
                kind=AlertKind.STOCK,
                severity=c.severity,
                title=c.title[:200],
                detail=c.detail,
                source_type=c.source_type,
                source_id=c.source_id,
            )
        raised += 1
    return InventoryAlertRun(checked_clinics=len(clinics), raised=raised)
