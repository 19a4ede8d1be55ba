"""The chair board: today's sessions (the clinic's local day) with phase and what is due next,
and the home panel's sessions that wait for a prescriber."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert, AlertSource
from ketaclinic.alerts.selectors import open_alert_counts, open_critical_alerts_by_patient
from ketaclinic.audit.services import chain_write_seq
from ketaclinic.treatment.domain import board_clock, monitoring
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


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    now: dt.datetime
    # The earliest instant after ``now`` at which the same data would render differently
    # (``domain.board_clock``): the local day's end, a phase or a due state moving by the clock.
    changes_at: dt.datetime


def board(*, membership: Membership, now: dt.datetime | None = None) -> list[BoardRow]:
    """Today's sessions (the clinic's local day) with phase and what is due next."""
    return board_with_clock(membership=membership, now=now).rows


def board_with_clock(*, membership: Membership, now: dt.datetime | None = None) -> Board:
    """``board`` with the instant its rows next change by the clock alone."""
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
        .select_related("patient", "protocol_version", "dose", "checklist")
        .prefetch_related("observations", "decisions")
        # Time order first (issue 14: unassigned 09:00 rows sorted above earlier chair rows).
        .order_by("scheduled_at", "chair", "pk")
    )
    # Every row is the member's clinic (the filter above), and most rows share a few protocol
    # versions: one clinic object, and one version object per version, so that each version's
    # protocol is parsed (and its memo key built) once per board, not once per row.
    versions: dict[int, Any] = {}
    for s in sessions:
        s.clinic = membership.clinic
        s.protocol_version = versions.setdefault(s.protocol_version_id, s.protocol_version)
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
    instants: list[dt.datetime] = []
    for s in sessions:
        phase = derived_phase(s, now)
        item = None
        protocol = s.protocol_version.protocol
        dose = getattr(s, "dose", None)
        instants += board_clock.phase_changes(
            protocol,
            phase=s.phase,
            scheduled_at=s.scheduled_at,
            dose_started_at=s.dose_started_at,
            device_count=dose.device_count if dose is not None else None,
            hepatic_impairment=s.patient.hepatic_impairment,
        )
        if phase in OPEN_PHASES and phase != SessionPhase.SCHEDULED:
            items = session_timeline(s, now, list(s.observations.all()))
            instants += board_clock.item_changes(items)
            item = monitoring.next_due(items)
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
    return Board(rows, now, board_clock.next_change(now, tz, instants))


# ---- The poll's version (issue 15) ------------------------------------------------------------
#
# What the board element shows is a function of (the viewer's membership and role, the clinic's
# time zone, the clinic's committed data, the time). The rows name their version: the membership
# id and role, the zone, the clinic's data version (``audit.services.chain_write_seq``: every
# clinical write appends a non-read audit event in its own transaction, which moves it) and the
# instant the rows next change by the clock. Signed with the secret key (Django's signing, HMAC):
# a forged or altered token is refused, and a token of another membership does not match.

_VERSION_SALT = "ketaclinic.treatment.board-version"
_SEP = "|"


def board_data_version(*, membership: Membership) -> int:
    """The clinic's data version: read it BEFORE the rows, so that a write committed in between
    makes the rows newer than their version (one more render), never older."""
    return chain_write_seq(membership.clinic_id)


def board_version_token(*, membership: Membership, data_version: int, board: Board) -> str:
    changes_us = int(board.changes_at.timestamp() * 1_000_000)
    value = _SEP.join(
        [
            str(membership.pk),
            membership.role,
            membership.clinic.time_zone,
            str(data_version),
            str(changes_us),
        ]
    )
    return signing.Signer(salt=_VERSION_SALT).sign(value)


def board_unchanged(*, membership: Membership, token: str, now: dt.datetime | None = None) -> bool:
    """Whether the rows a poll's ``token`` names are exactly what the board would render now:
    same membership, role and zone, no clinic write since, and the clock before the rows'
    next change. Any doubt (a bad signature, another membership) answers False: render."""
    if not can_run_sessions(membership):
        raise PermissionDenied
    try:
        value = signing.Signer(salt=_VERSION_SALT).unsign(token)
    except signing.BadSignature:
        return False
    parts = value.split(_SEP)
    if len(parts) != 5:
        return False
    member, role, zone, data_version, changes_us = parts
    if (member, role, zone) != (str(membership.pk), membership.role, membership.clinic.time_zone):
        return False
    now = now or timezone.now()
    if int(now.timestamp() * 1_000_000) >= int(changes_us):
        return False
    return int(data_version) == board_data_version(membership=membership)


def decisions_waiting(*, membership: Membership) -> list[TreatmentSession]:
    """Today's open sessions whose dosing waits for a prescriber's decision."""
    if not membership.can(Perm.TREATMENT_PLAN):
        return []
    return [row.session for row in board(membership=membership) if row.waiting_for_prescriber]
