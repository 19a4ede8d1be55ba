"""The security report of the audit trail (issue 15): what an administrator reviews each day.

``ketaclinic audit report --since 24h`` prints it for the whole network, the clinic admins' page
(``audit:report``) shows their own clinic's part, and the worker's daily job writes it to a file.
Sources: HIPAA 45 CFR 164.308(a)(1)(ii)(D) (information system activity review) and
164.308(a)(5)(ii)(C) (log-in monitoring); OWASP ASVS 5.0 V16 (security logging).

Events about a clinic are on that clinic's chain. Failed sign-ins and lockouts carry no clinic (the
person is not signed in): a clinic's report includes those whose username belongs to one of its
members, and only the network report shows the others (usernames that match nobody).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.db.models import Q, QuerySet

from ketaclinic.audit.models import AuditEvent, EventType

SECTIONS: tuple[tuple[str, str, tuple[EventType, ...]], ...] = (
    ("failed_sign_ins", "Failed sign-ins", (EventType.LOGIN_FAILED, EventType.TOTP_FAILED)),
    ("lockouts", "Lockouts", (EventType.USERNAME_LOCKED, EventType.USERNAME_UNLOCKED)),
    ("denied", "Denied accesses", (EventType.ACCESS_DENIED,)),
    (
        "step_up_failures",
        "Step-up (re-authentication) failures",
        (
            EventType.REAUTH_FAILED,
            EventType.PASSWORD_CHECK_FAILED,
            EventType.DOSE_WITNESS_FAILED,
            EventType.STOCK_WITNESS_FAILED,
        ),
    ),
    (
        "corrections",
        "Corrections",
        (
            EventType.MEASUREMENT_CORRECTED,
            EventType.SCALE_RESPONSE_AMENDED,
            EventType.SESSION_AMENDED,
            EventType.STOCK_DISCREPANCY_RESOLVED,
            EventType.ELIGIBILITY_OVERRIDDEN,
        ),
    ),
    (
        "configuration",
        "Configuration changes",
        (
            EventType.CLINIC_CREATED,
            EventType.CLINIC_UPDATED,
            EventType.USER_CREATED,
            EventType.MEMBERSHIP_CREATED,
            EventType.MEMBERSHIP_UPDATED,
            EventType.MEMBERSHIP_DEACTIVATED,
            EventType.MEMBERSHIP_REACTIVATED,
            EventType.TEMPORARY_PASSWORD_SET,
            EventType.SECOND_FACTOR_RESET,
            EventType.TOTP_ENROLLED,
            EventType.PROTOCOL_CREATED,
            EventType.PROTOCOL_VERSIONED,
            EventType.SCREENING_POLICY_UPDATED,
            EventType.STOCK_SETUP_CHANGED,
            EventType.CLOSURE_ADDED,
            EventType.CLOSURE_CANCELLED,
            EventType.API_TOKEN_CREATED,
            EventType.API_TOKEN_REVOKED,
            EventType.EXPORT_IDENTIFIED,
        ),
    ),
)
# Events that carry no clinic but name a user: attributed to a clinic through its members.
UNATTRIBUTED = frozenset(
    {
        EventType.LOGIN_FAILED,
        EventType.TOTP_FAILED,
        EventType.USERNAME_LOCKED,
        EventType.USERNAME_UNLOCKED,
    }
)
ROWS_PER_SECTION = 200

_SINCE = re.compile(r"^\s*(\d{1,4})\s*([hd])\s*$")
MAX_SINCE = dt.timedelta(days=366)


class SinceError(ValueError):
    pass


def parse_since(text: str) -> dt.timedelta:
    """``24h`` or ``7d``: 1 hour to 366 days."""
    match = _SINCE.match(text)
    if not match:
        raise SinceError(
            f"--since {text!r}: give hours or days, e.g. 24h or 7d (1h to {MAX_SINCE.days}d)"
        )
    amount = int(match.group(1))
    delta = dt.timedelta(hours=amount) if match.group(2) == "h" else dt.timedelta(days=amount)
    if not dt.timedelta(hours=1) <= delta <= MAX_SINCE:
        raise SinceError(f"--since {text!r}: must be between 1h and {MAX_SINCE.days}d")
    return delta


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    label: str
    count: int
    events: list[AuditEvent]  # newest first, at most ROWS_PER_SECTION

    @property
    def omitted(self) -> int:
        return self.count - len(self.events)


@dataclasses.dataclass(frozen=True)
class AuditReport:
    since: dt.datetime
    until: dt.datetime
    clinic_id: int | None
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def _scope(events: QuerySet[AuditEvent], clinic_id: int | None) -> QuerySet[AuditEvent]:
    if clinic_id is None:
        return events
    from django.contrib.auth import get_user_model

    members = get_user_model().objects.filter(memberships__clinic_id=clinic_id)
    usernames = members.values("username")
    return events.filter(
        Q(clinic_id=clinic_id)
        | Q(clinic__isnull=True, event_type__in=UNATTRIBUTED, actor_username__in=usernames)
        | Q(clinic__isnull=True, event_type__in=UNATTRIBUTED, actor_id__in=members.values("pk"))
    )


def audit_report(
    *, since: dt.datetime, until: dt.datetime, clinic_id: int | None = None
) -> AuditReport:
    """The report's sections for events in ``[since, until)``; ``clinic_id`` None: the network."""
    base = _scope(
        AuditEvent.objects.filter(event_time__gte=since, event_time__lt=until), clinic_id
    ).select_related("actor", "clinic")
    sections = []
    for key, label, types in SECTIONS:
        events = base.filter(event_type__in=[str(t) for t in types]).order_by("-event_time", "-id")
        sections.append(
            Section(
                key=key,
                label=label,
                count=events.count(),
                events=list(events[:ROWS_PER_SECTION]),
            )
        )
    return AuditReport(since=since, until=until, clinic_id=clinic_id, sections=sections)


def event_line(event: AuditEvent) -> str:
    """One line of the text report: time, event, who, from where, which record (ids only)."""
    who = event.actor_username or (event.actor.username if event.actor else "") or "-"
    parts = [
        event.event_time.strftime("%Y-%m-%d %H:%M:%SZ"),
        event.get_event_type_display(),
        f"user={who}",
    ]
    if event.clinic_id:
        parts.append(f"clinic={event.clinic_id}")
    if event.ip_address:
        parts.append(f"ip={event.ip_address}")
    if event.object_type:
        parts.append(f"object={event.object_type}:{event.object_id}")
    view = event.extra.get("view") if isinstance(event.extra, dict) else None
    if view:
        parts.append(f"page={view}")
    return "  ".join(parts)


def report_text(report: AuditReport) -> str:
    scope = "whole network" if report.clinic_id is None else f"clinic {report.clinic_id}"
    lines = [
        f"Audit report, {scope}: {report.since:%Y-%m-%d %H:%M}Z to {report.until:%Y-%m-%d %H:%M}Z",
        f"{report.total} event(s) of interest",
    ]
    for section in report.sections:
        lines.append("")
        lines.append(f"{section.label}: {section.count}")
        lines.extend(f"  {event_line(e)}" for e in section.events)
        if section.omitted:
            lines.append(f"  ... and {section.omitted} more")
    return "\n".join(lines) + "\n"
