"""The periodic jobs (registered when the app loads). Each calls the existing service or command
logic; none re-implements it. The worker's scheduler enqueues each once per period."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ketaclinic.audit.anchor import anchor_append
from ketaclinic.audit.report import audit_report, report_text
from ketaclinic.inventory.services import inventory_alerts
from ketaclinic.ops.models import FormToken, JobRun, WindowCount
from ketaclinic.ops.registry import Job, register
from ketaclinic.surveillance.reminders import surveillance_due_alerts
from ketaclinic.treatment.services import rems_deadline_alerts


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def report_dir() -> Path:
    return Path(settings.VAR_DIR) / "reports"


def _rems(run: JobRun) -> str:
    result = rems_deadline_alerts()
    return (
        f"{result.checked} form(s) checked; new alerts: {result.due_soon} due soon, "
        f"{result.overdue} overdue"
    )


def _inventory(run: JobRun) -> str:
    result = inventory_alerts()
    return f"{result.checked_clinics} clinic(s) checked; {result.raised} new alert(s)"


def _surveillance(run: JobRun) -> str:
    result = surveillance_due_alerts()
    return (
        f"{result.clinics} clinic(s) checked; {result.overdue} overdue item(s); "
        f"{result.raised} new alert(s)"
    )


def _anchor(run: JobRun) -> str:
    lines = anchor_append(anchor_file())
    return f"{len(lines)} chain head(s) anchored"


def _prune_form_tokens(run: JobRun) -> str:
    """One-time form tokens older than a day guard nothing any more (a resend comes within
    seconds); they hold no clinical data. The rate-limit counters of windows that ended more than
    an hour ago count nothing any more either (the longest window is 10 minutes)."""
    now = timezone.now()
    deleted, _ = FormToken.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
    hour_ago = int(now.timestamp()) - 3600
    counters, _ = WindowCount.objects.filter(window_start__lt=hour_ago).delete()
    return f"{deleted} used form token(s) pruned; {counters} old rate-limit counter(s) pruned"


def _report(run: JobRun) -> str:
    """The network report for the 24 hours before the start of this run's day (UTC); rewriting
    the same file on a retry gives the same content (the window is fixed by the period)."""
    day = dt.datetime.strptime(run.period, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    report = audit_report(since=day - dt.timedelta(days=1), until=day)
    folder = report_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"audit-report-{run.period}.txt"
    partial = target.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, report_text(report).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    partial.replace(target)  # atomic: readers see the old file or the whole new one
    return f"{report.total} event(s) of interest; written to {target.name}"


REMS_DEADLINES = register(
    Job(name="rems_deadlines", label="REMS deadline alerts", run=_rems, every="hour")
)
INVENTORY_ALERTS = register(
    Job(name="inventory_alerts", label="Stock alerts", run=_inventory, every="hour")
)
SURVEILLANCE_DUE = register(
    Job(
        name="surveillance_due",
        label="Overdue safety-surveillance reminders",
        run=_surveillance,
        every="day",
    )
)
AUDIT_ANCHOR = register(
    Job(
        name="audit_anchor",
        label="Audit chain anchoring",
        run=_anchor,
        every="hour",
        transactional=False,  # a file append; a repeated anchor line is harmless
    )
)
AUDIT_REPORT = register(
    Job(
        name="audit_report",
        label="Daily audit report",
        run=_report,
        every="day",
        transactional=False,  # writes a file; a retry rewrites the same content
    )
)
PRUNE_FORM_TOKENS = register(
    Job(
        name="prune_form_tokens",
        label="Used form tokens pruned",
        run=_prune_form_tokens,
        every="day",
    )
)
