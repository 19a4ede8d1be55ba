"""The chair board: today's sessions (the clinic's local day) with phase and what is due next,
and the home panel's sessions that wait for a prescriber."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert, AlertSource
from ketaclinic.alerts.selectors import open_alert_counts, open_critical_alerts_by_patient
from ketaclinic.treatment.domain import monitoring
from ketaclinic.treatment.models import (
    OPEN_PHASES,
    ObservationCode,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.access import can_run_sessions
from ketaclinic.treatment.selectors.predose import dosing_blockers, suicidality_flags_for
from ketaclinic.treatment.selectors.timeline import derived_phase, phase_label, session_timeline


@dataclass(frozen=True)
class BoardRow:
    session: TreatmentSession
    phase: str
    phase_label: str
    next_item: monitoring.ItemStatus | None
    next_label: str
    state: str  # pending, due, overdue, done: the colour class
    open_alerts: int
    waiting_for_prescriber: bool
    # The patient's unacknowledged critical alerts (suicidal ideation, C-SSRS risk, a crisis
    # reading, a serious adverse event), newest first: shown on the row itself.
    critical_alerts: tuple[Alert, ...] = ()


_MEASURE_LABELS = dict(ObservationCode.choices)


def _item_label(item: monitoring.ItemStatus | None, tz: Any) -> str:
    if item is None:
        return ""
    measure = _MEASURE_LABELS.get(item.planned.measure.value, item.planned.measure.value)
    when = ""
    if item.planned.anchor == "pre_dose":
        when = "before dosing"
    elif item.planned.anchor == "before_discharge":
        when = "before discharge"
    else:
        when = f"at {item.planned.minute} min"
    at = f" ({item.due_at.astimezone(tz):%H:%M})" if item.due_at else ""
    return f"{measure} {when}{at}"


def board(*, membership: Membership, now: dt.datetime | None = None) -> list[BoardRow]:
    """Today's sessions (the clinic's local day) with phase and what is due next."""
    if not can_run_sessions(membership):
        raise PermissionDenied
    now = now or timezone.now()
    tz = membership.clinic.tzinfo
    local_day = now.astimezone(tz).date()
    start = dt.datetime.combine(local_day, dt.time(0), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    sessions = list(
        TreatmentSession.objects.filter(
            clinic_id=membership.clinic_id, scheduled_at__gte=start, scheduled_at__lt=end
        )
        .exclude(phase__in=[SessionPhase.CANCELLED])
        .select_related("patient", "protocol_version", "dose", "checklist", "clinic")
        .prefetch_related("observations", "decisions")
        # Time order first (issue 14: unassigned 09:00 rows sorted above earlier chair rows).
        .order_by("scheduled_at", "chair", "pk")
    )
    # One scales query for every pre-dose row's suicidality gate (not one per row).
    flags = suicidality_flags_for(
        [s for s in sessions if s.phase in (SessionPhase.CHECKED_IN, SessionPhase.PRE_DOSE)]
    )
    owner = {str(o.pk): str(s.pk) for s in sessions for o in s.observations.all()}
    alert_counts: dict[str, int] = {}
    for source_id, n in open_alert_counts(
        source_type=AlertSource.OBSERVATION, source_ids=owner
    ).items():
        key = owner[source_id]
        alert_counts[key] = alert_counts.get(key, 0) + n
    critical = open_critical_alerts_by_patient(
        membership=membership, patient_ids={s.patient_id for s in sessions}
    )
    rows = []
    for s in sessions:
        phase = derived_phase(s, now)
        item = None
        if phase in OPEN_PHASES and phase != SessionPhase.SCHEDULED:
            item = monitoring.next_due(session_timeline(s, now, list(s.observations.all())))
        rows.append(
            BoardRow(
                session=s,
                phase=phase,
                phase_label=phase_label(s, now),
                next_item=item,
                next_label=_item_label(item, tz),
                state=item.status.value if item else "",
                open_alerts=alert_counts.get(str(s.pk), 0),
                waiting_for_prescriber=bool(
                    dosing_blockers(s, prescriber_only=True, flags=flags.get(s.pk, []))
                )
                if phase in (SessionPhase.CHECKED_IN, SessionPhase.PRE_DOSE)
                else False,
                critical_alerts=tuple(critical.get(s.patient_id, ())),
            )
        )
    return rows


def decisions_waiting(*, membership: Membership) -> list[TreatmentSession]:
    """Today's open sessions whose dosing waits for a prescriber's decision."""
    if not membership.can(Perm.TREATMENT_PLAN):
        return []
    return [row.session for row in board(membership=membership) if row.waiting_for_prescriber]
