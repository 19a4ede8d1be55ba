"""Reads of treatment records. Every ``get_*_for_user`` returns only the caller's active clinic's
objects (another clinic's object is a 404) and checks the role (403)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import AlertSource
from ketaclinic.alerts.selectors import open_alert_counts
from ketaclinic.patients.models import Patient
from ketaclinic.scales.selectors import final_responses_since, latest_responses
from ketaclinic.treatment.domain import monitoring
from ketaclinic.treatment.domain.protocol import RATE_BASED, Measure, Route
from ketaclinic.treatment.models import (
    OPEN_PHASES,
    ClinicClosure,
    Course,
    DecisionKind,
    DecisionOutcome,
    Observation,
    ObservationCode,
    PreDoseChecklist,
    Protocol,
    ProtocolVersion,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)

# Who may read treatment records: everyone who runs or plans sessions, and the clinic admin for
# protocols. Patient-level pages need PATIENT_VIEW as well.
_READ_PERMS = (Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN, Perm.PROTOCOL_MANAGE)


def _need(membership: Membership | None) -> Membership:
    if membership is None:
        raise Http404
    return membership


def can_read_treatment(membership: Membership) -> bool:
    return any(membership.can(p) for p in _READ_PERMS)


def can_read_protocols(membership: Membership) -> bool:
    return can_read_treatment(membership)


def protocols_for_clinic(*, membership: Membership) -> QuerySet[Protocol]:
    if not can_read_protocols(membership):
        raise PermissionDenied
    return Protocol.objects.filter(clinic_id=membership.clinic_id).prefetch_related(
        Prefetch("versions", queryset=ProtocolVersion.objects.order_by("-number"))
    )


def get_protocol_for_user(*, membership: Membership | None, pk: int) -> Protocol:
    m = _need(membership)
    protocol = Protocol.objects.filter(pk=pk, clinic_id=m.clinic_id).first()
    if protocol is None:
        raise Http404
    if not can_read_protocols(m):
        raise PermissionDenied
    return protocol


def get_protocol_version_for_user(*, membership: Membership | None, pk: int) -> ProtocolVersion:
    """A protocol version of the caller's clinic (404 otherwise). ``.protocol`` is the pure
    :class:`ketaclinic.treatment.domain.protocol.Protocol` parsed from the stored JSON. Used by the
    exposure pages (pharmacology)."""
    m = _need(membership)
    version = (
        ProtocolVersion.objects.select_related("family")
        .filter(pk=pk, family__clinic_id=m.clinic_id)
        .first()
    )
    if version is None:
        raise Http404
    if not can_read_protocols(m):
        raise PermissionDenied
    return version


def latest_version(protocol: Protocol) -> ProtocolVersion:
    version = protocol.versions.order_by("-number").first()
    if version is None:  # a protocol is always created with its first version
        raise Http404
    return version


def active_versions(*, membership: Membership) -> list[ProtocolVersion]:
    """The newest version of each active protocol of the clinic (what a course can use)."""
    result = []
    for protocol in Protocol.objects.filter(
        clinic_id=membership.clinic_id, is_active=True
    ).prefetch_related("versions"):
        versions = sorted(protocol.versions.all(), key=lambda v: -v.number)
        if versions:
            result.append(versions[0])
    return result


def get_course_for_user(*, membership: Membership | None, pk: int) -> Course:
    m = _need(membership)
    course = (
        Course.objects.select_related("patient", "protocol_version", "enrolled_by")
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if course is None:
        raise Http404
    if not (can_read_treatment(m) and m.can(Perm.PATIENT_VIEW)):
        raise PermissionDenied
    return course


def get_session_for_user(
    *, membership: Membership | None, pk: int, perm: Perm | None = None
) -> TreatmentSession:
    m = _need(membership)
    session = (
        TreatmentSession.objects.select_related(
            "patient", "course", "protocol_version", "clinic", "signature"
        )
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if session is None:
        raise Http404
    if perm is not None:
        if not m.can(perm):
            raise PermissionDenied
    elif not (m.can(Perm.TREATMENT_ADMINISTER) or m.can(Perm.TREATMENT_PLAN)):
        raise PermissionDenied
    return session


def get_rems_form_for_user(*, membership: Membership | None, pk: int) -> RemsMonitoringForm:
    m = _need(membership)
    form = (
        RemsMonitoringForm.objects.select_related("session", "session__patient")
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if form is None:
        raise Http404
    if not (m.can(Perm.TREATMENT_ADMINISTER) or m.can(Perm.TREATMENT_PLAN)):
        raise PermissionDenied
    return form


def courses_for_patient(*, membership: Membership, patient: Patient) -> list[Course]:
    if patient.clinic_id != membership.clinic_id or not can_read_treatment(membership):
        return []
    return list(
        Course.objects.filter(patient=patient)
        .select_related("protocol_version")
        .prefetch_related("sessions")
        .order_by("-enrolled_at")
    )


# --------------------------------------------------------------------------------------------
# Clinic closures

_CLOSURE_PERMS = (Perm.SCHEDULE_MANAGE, Perm.PROTOCOL_MANAGE)


def can_manage_closures(membership: Membership) -> bool:
    return any(membership.can(p) for p in _CLOSURE_PERMS)


def closures_for_clinic(*, membership: Membership) -> list[ClinicClosure]:
    """Every closure of the clinic, cancelled ones included (they are never deleted), newest
    date first."""
    if not can_manage_closures(membership):
        raise PermissionDenied
    return list(
        ClinicClosure.objects.filter(clinic_id=membership.clinic_id)
        .select_related("created_by", "cancelled_by")
        .order_by("-date", "-id")
    )


def get_closure_for_user(*, membership: Membership | None, pk: int) -> ClinicClosure:
    m = _need(membership)
    closure = ClinicClosure.objects.filter(pk=pk, clinic_id=m.clinic_id).first()
    if closure is None:
        raise Http404
    if not can_manage_closures(m):
        raise PermissionDenied
    return closure


def sessions_on_closures(
    *, membership: Membership, closures: list[ClinicClosure]
) -> dict[int, list[TreatmentSession]]:
    """Scheduled (not yet started) sessions that fall on a closed day, by closure id: they need
    moving by hand. One query whatever the number of closures and sessions."""
    if not can_manage_closures(membership):
        raise PermissionDenied
    tz = membership.clinic.tzinfo
    active = {c.date: c.pk for c in closures if not c.cancelled}
    if not active:
        return {}
    days = Q()
    for day in active:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        days |= Q(scheduled_at__gte=start, scheduled_at__lt=end)
    result: dict[int, list[TreatmentSession]] = {}
    sessions = (
        TreatmentSession.objects.filter(
            days, clinic_id=membership.clinic_id, phase=SessionPhase.SCHEDULED
        )
        .select_related("patient", "course")
        .order_by("scheduled_at")
    )
    for s in sessions:
        closure_id = active.get(s.scheduled_at.astimezone(tz).date())
        if closure_id is not None:
            result.setdefault(closure_id, []).append(s)
    return result


def closed_dates(*, clinic_id: int) -> frozenset[dt.date]:
    return frozenset(
        ClinicClosure.objects.filter(clinic_id=clinic_id, cancelled=False).values_list(
            "date", flat=True
        )
    )


# --------------------------------------------------------------------------------------------
# The pure view of a session


def pure_observations(observations: list[Observation]) -> list[monitoring.Observation]:
    return [
        monitoring.Observation(
            measure=Measure(o.code),
            taken_at=o.measured_at,
            value=o.value,
            systolic_mmhg=o.systolic_mmhg,
            diastolic_mmhg=o.diastolic_mmhg,
            text=o.text,
        )
        for o in observations
    ]


def derived_phase(session: TreatmentSession, now: dt.datetime) -> str:
    """The phase shown on the board: dosing runs until the infusion (or the last device) ends,
    then monitoring until the observation time is reached, then ready for discharge."""
    if session.phase not in (
        SessionPhase.DOSING,
        SessionPhase.MONITORING,
        SessionPhase.READY_FOR_DISCHARGE,
    ):
        return session.phase
    start = session.dose_started_at
    if start is None:
        return session.phase
    protocol = session.protocol_version.protocol
    end_of_dosing = start
    if protocol.route is Route.IV_INFUSION and protocol.infusion_minutes:
        end_of_dosing = start + dt.timedelta(minutes=protocol.infusion_minutes)
    elif protocol.devices is not None:
        dose = getattr(session, "dose", None)
        count = dose.device_count if dose is not None and dose.device_count else 1
        end_of_dosing = start + dt.timedelta(
            minutes=(count - 1) * protocol.devices.minutes_between_devices
        )
    if now < end_of_dosing:
        return SessionPhase.DOSING
    minutes = monitoring.effective_observation_minutes(protocol)
    if now >= start + dt.timedelta(minutes=minutes):
        return SessionPhase.READY_FOR_DISCHARGE
    return SessionPhase.MONITORING


def is_rate_based_or_infusion(session: TreatmentSession) -> bool:
    p = session.protocol_version.protocol
    return p.route is Route.IV_INFUSION or p.dose.basis in RATE_BASED


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


_MEASURE_LABELS = dict(ObservationCode.choices)


def session_timeline(
    session: TreatmentSession, now: dt.datetime, observations: list[Observation] | None = None
) -> list[monitoring.ItemStatus]:
    obs = observations if observations is not None else list(session.observations.all())
    return monitoring.timeline(
        session.protocol_version.protocol,
        dose_started_at=session.dose_started_at,
        now=now,
        observations=pure_observations(obs),
    )


def board(*, membership: Membership, now: dt.datetime | None = None) -> list[BoardRow]:
    """Today's sessions (the clinic's local day) with phase and what is due next."""
    if not (membership.can(Perm.TREATMENT_ADMINISTER) or membership.can(Perm.TREATMENT_PLAN)):
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
        .order_by("chair", "scheduled_at")
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
    rows = []
    labels = dict(SessionPhase.choices)
    for s in sessions:
        phase = derived_phase(s, now)
        item = None
        if phase in OPEN_PHASES and phase != SessionPhase.SCHEDULED:
            item = monitoring.next_due(session_timeline(s, now, list(s.observations.all())))
        rows.append(
            BoardRow(
                session=s,
                phase=phase,
                phase_label=labels.get(phase, phase),
                next_item=item,
                next_label=_item_label(item, tz),
                state=item.status.value if item else "",
                open_alerts=alert_counts.get(str(s.pk), 0),
                waiting_for_prescriber=bool(
                    dosing_blockers(s, prescriber_only=True, flags=flags.get(s.pk, []))
                )
                if phase in (SessionPhase.CHECKED_IN, SessionPhase.PRE_DOSE)
                else False,
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# Gates before dosing


SUICIDALITY_FLAGS = frozenset({"suicidal_ideation", "risk_moderate", "risk_high"})


@dataclass(frozen=True)
class ScaleFlag:
    code: str
    response_id: str
    flags: tuple[str, ...]
    effective_at: dt.datetime | None


def scales_window_start(session: TreatmentSession) -> dt.datetime:
    """Scales count for a session from the start of the clinic-local day before it."""
    tz = session.clinic.tzinfo
    day = session.scheduled_at.astimezone(tz).date()
    return dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), tzinfo=tz)


@dataclass(frozen=True)
class PreSessionScale:
    code: str
    name: str
    response: Any  # scales.ScaleResponse, or None when not yet taken for this session


def pre_session_scales(session: TreatmentSession) -> list[PreSessionScale]:
    """The scales the protocol asks for before each session, with the one taken for this session."""
    from ketaclinic.scales import get_definition

    codes = list(session.protocol_version.protocol.pre_session_scales)
    found = latest_responses(
        patient=session.patient, codes=codes, since=scales_window_start(session)
    )
    return [PreSessionScale(c, get_definition(c).name, found.get(c)) for c in codes]


_SUICIDALITY_CODES = ("phq9", "cssrs_screener")


def _flags_of(found: dict[str, Any]) -> list[ScaleFlag]:
    result = []
    for code, response in found.items():
        flags = tuple(sorted(set(response.flags or ()) & SUICIDALITY_FLAGS))
        if flags:
            result.append(
                ScaleFlag(
                    code=code,
                    response_id=str(response.pk),
                    flags=flags,
                    effective_at=response.effective_at,
                )
            )
    return result


def suicidality_flags(session: TreatmentSession) -> list[ScaleFlag]:
    """Positive PHQ-9 item 9 or C-SSRS risk flags in the scales recorded for this session (since
    the start of the clinic-local day before the session; the scales app's latest responses)."""
    found = latest_responses(
        patient=session.patient, codes=_SUICIDALITY_CODES, since=scales_window_start(session)
    )
    return _flags_of(found)


def suicidality_flags_for(sessions: list[TreatmentSession]) -> dict[int, list[ScaleFlag]]:
    """``suicidality_flags`` of many sessions in one query (the chair board): the newest final
    response per code and patient within each session's window, as ``latest_responses``."""
    if not sessions:
        return {}
    windows = {s.pk: scales_window_start(s) for s in sessions}
    responses = final_responses_since(
        patient_ids={s.patient_id for s in sessions},
        codes=_SUICIDALITY_CODES,
        since=min(windows.values()),
    )
    result: dict[int, list[ScaleFlag]] = {}
    for s in sessions:
        found: dict[str, Any] = {}
        for r in responses:
            if r.patient_id == s.patient_id and r.effective_at >= windows[s.pk]:
                found.setdefault(r.code, r)
        result[s.pk] = _flags_of(found)
    return result


def baseline_observations(session: TreatmentSession) -> list[Observation]:
    """The readings before dosing started: what rises and drops are measured from."""
    qs = session.observations.all()
    if session.dose_started_at is not None:
        qs = qs.filter(measured_at__lt=session.dose_started_at)
    return list(qs)


def _prefetched_observations(session: TreatmentSession) -> list[Observation] | None:
    cache: dict[str, Any] = getattr(session, "_prefetched_objects_cache", {})
    if "observations" not in cache:
        return None
    return list(session.observations.all())


def predose_bp(session: TreatmentSession) -> Observation | None:
    """The latest blood pressure before dosing (from prefetched observations when the caller
    prefetched them, as the chair board does)."""
    prefetched = _prefetched_observations(session)
    if prefetched is not None:
        before = [
            o
            for o in prefetched
            if o.code == Measure.BLOOD_PRESSURE.value
            and (session.dose_started_at is None or o.measured_at < session.dose_started_at)
        ]
        return max(before, key=lambda o: (o.measured_at, o.pk), default=None)
    qs = session.observations.filter(code=Measure.BLOOD_PRESSURE.value)
    if session.dose_started_at is not None:
        qs = qs.filter(measured_at__lt=session.dose_started_at)
    return qs.order_by("-measured_at", "-id").first()


def _checklist_blockers(checklist: PreDoseChecklist) -> list[str]:
    reasons: list[str] = []
    if not checklist.fasting_confirmed:
        reasons.append("Fasting is not confirmed (no food 2 h, no liquids 30 min).")
    if not checklist.ride_home_confirmed:
        reasons.append("No ride home is confirmed: confirm it or reschedule [LADMH].")
    if checklist.nasal_medication_timing_ok is False:
        reasons.append("Nasal steroid or decongestant less than 1 hour ago [DrOracle; LADMH].")
    if checklist.pregnancy_status == "positive":
        reasons.append("Pregnancy: embryo-fetal toxicity [Label]; do not dose.")
    if not checklist.scales_reviewed:
        reasons.append("Today's rating scales are not reviewed.")
    return reasons


@dataclass(frozen=True)
class PendingDecision:
    """Something only a prescriber's recorded decision can clear: kind, subject, message."""

    kind: str
    subject: str
    message: str


def pending_decisions(
    session: TreatmentSession, *, flags: list[ScaleFlag] | None = None
) -> list[PendingDecision]:
    """Suicidality flags without a review; a pre-dose BP above the threshold without a decision.
    ``flags``: the session's suicidality flags when the caller fetched them in bulk."""
    pending: list[PendingDecision] = []
    decisions = list(session.decisions.all())

    def decided(kind: str, subject: str) -> bool:
        return any(
            d.kind == kind and d.outcome == DecisionOutcome.PROCEED and d.subject == subject
            for d in decisions
        )

    for flag in suicidality_flags(session) if flags is None else flags:
        subject = f"{flag.code}:{flag.response_id}"
        if not decided(DecisionKind.SUICIDALITY_REVIEW, subject):
            pending.append(
                PendingDecision(
                    DecisionKind.SUICIDALITY_REVIEW,
                    subject,
                    f"{flag.code}: {', '.join(flag.flags)} flagged; a prescriber must review it "
                    "before dosing.",
                )
            )
    bp = predose_bp(session)
    if bp is not None and bp.systolic_mmhg is not None and bp.diastolic_mmhg is not None:
        verdict, message = monitoring.evaluate_predose_bp(
            bp.systolic_mmhg, bp.diastolic_mmhg, session.protocol_version.protocol.thresholds
        )
        subject = f"observation:{bp.pk}"
        if verdict is monitoring.PredoseDecision.NEEDS_PRESCRIBER_DECISION and not decided(
            DecisionKind.PROCEED_DESPITE_BP, subject
        ):
            pending.append(PendingDecision(DecisionKind.PROCEED_DESPITE_BP, subject, message))
    return pending


def _state_blockers(session: TreatmentSession) -> list[str]:
    reasons: list[str] = []
    if session.is_locked:
        reasons.append("The session is signed and locked.")
    if session.phase in (SessionPhase.MISSED, SessionPhase.CANCELLED, SessionPhase.DONE):
        reasons.append(f"The session is {session.get_phase_display().lower()}.")
    if session.checked_in_at is None:
        reasons.append("The patient is not checked in.")
    checklist = getattr(session, "checklist", None)
    if checklist is None:
        reasons.append("The pre-dose checklist is not recorded.")
    else:
        reasons += _checklist_blockers(checklist)
    if predose_bp(session) is None:
        reasons.append("No pre-dose blood pressure is recorded.")
    return reasons


def dosing_blockers(
    session: TreatmentSession,
    *,
    prescriber_only: bool = False,
    flags: list[ScaleFlag] | None = None,
) -> list[str]:
    """Why this session may not be dosed yet, each in words a nurse can act on.

    ``prescriber_only``: only the reasons that wait for a prescriber's recorded decision.
    ``flags``: the session's suicidality flags when the caller fetched them in bulk."""
    reasons = [] if prescriber_only else _state_blockers(session)
    held = [d for d in session.decisions.all() if d.outcome == DecisionOutcome.HOLD]
    if held:
        reasons.append(f"A prescriber decided to hold dosing: {held[-1].reason}")
    reasons += [p.message for p in pending_decisions(session, flags=flags)]
    return reasons


# --------------------------------------------------------------------------------------------
# REMS


def rems_forms_due(*, membership: Membership) -> QuerySet[RemsMonitoringForm]:
    if not (membership.can(Perm.TREATMENT_ADMINISTER) or membership.can(Perm.TREATMENT_PLAN)):
        raise PermissionDenied
    return (
        RemsMonitoringForm.objects.filter(clinic_id=membership.clinic_id)
        .select_related("session", "session__patient", "submitted_by")
        .order_by("submitted_at", "due_date")
    )


def decisions_waiting(*, membership: Membership) -> list[TreatmentSession]:
    """Today's open sessions whose dosing waits for a prescriber's decision."""
    if not membership.can(Perm.TREATMENT_PLAN):
        return []
    return [row.session for row in board(membership=membership) if row.waiting_for_prescriber]


def sessions_for_course(course: Course) -> list[TreatmentSession]:
    return list(course.sessions.order_by("number"))


def patient_chart_context(*, membership: Membership, patient: Patient) -> dict[str, Any]:
    """The patient chart's Treatment section (templates/treatment/_patient_section.html)."""
    return {
        "treatment_courses": courses_for_patient(membership=membership, patient=patient),
        "can_read_treatment": can_read_treatment(membership),
        "can_enrol": membership.can(Perm.TREATMENT_PLAN),
    }


@dataclass(frozen=True)
class OutcomeCourses:
    """What the clinic outcomes page needs from courses: groups and the sessions that anchor them."""

    groups: dict[str, list[Any]]  # "Indication · Protocol" -> patient ids
    session_times: dict[Any, list[dt.datetime]]  # patient id -> dose start times, in order


INDICATION_LABELS = {
    "trd": "Treatment-resistant depression",
    "mdd": "Major depression",
    "mdd_acute_suicidal_ideation": "Depression with acute suicidal ideation",
    "crps": "CRPS",
}


def outcome_courses(*, clinic_id: int) -> OutcomeCourses:
    """Courses of a clinic grouped by indication and by (indication, protocol), with the start
    times of each patient's dosed sessions (two queries, whatever the clinic's size)."""
    groups: dict[str, list[Any]] = {}
    rows = Course.objects.filter(clinic_id=clinic_id).values_list(
        "patient_id", "indication", "protocol_version__family__title"
    )
    for patient_id, indication, title in rows:
        label = INDICATION_LABELS.get(indication, indication)
        groups.setdefault(label, []).append(patient_id)
        groups.setdefault(f"{label} · {title}", []).append(patient_id)
    times: dict[Any, list[dt.datetime]] = {}
    dosed = (
        TreatmentSession.objects.filter(clinic_id=clinic_id, dose_started_at__isnull=False)
        .order_by("patient_id", "dose_started_at")
        .values_list("patient_id", "dose_started_at")
    )
    for patient_id, started in dosed:
        if started is not None:  # filtered above; narrows the type
            times.setdefault(patient_id, []).append(started)
    return OutcomeCourses(groups=dict(sorted(groups.items())), session_times=times)


def dosed_session_times(*, patient: Patient) -> list[dt.datetime]:
    """Start times of a patient's dosed sessions: the markers on the rating-scale charts."""
    started = (
        TreatmentSession.objects.filter(patient=patient, dose_started_at__isnull=False)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
    )
    return [t for t in started if t is not None]


# --- re-exports from selectors/dose.py, signing.py, calendar.py (services split) ---
# (one statement per name, "name as name": an explicit re-export for mypy --strict)
from ketaclinic.treatment.selectors.calendar import (  # noqa: E402
    clinic_calendar as clinic_calendar,
)
from ketaclinic.treatment.selectors.calendar import (  # noqa: E402
    clinic_closure_dates as clinic_closure_dates,
)
from ketaclinic.treatment.selectors.calendar import (  # noqa: E402
    missed_guidance_for as missed_guidance_for,
)
from ketaclinic.treatment.selectors.calendar import (  # noqa: E402
    missed_session_guidance as missed_session_guidance,
)
from ketaclinic.treatment.selectors.calendar import (  # noqa: E402
    plan_calendar as plan_calendar,
)
from ketaclinic.treatment.selectors.dose import (  # noqa: E402
    DosePreview as DosePreview,
)
from ketaclinic.treatment.selectors.dose import (  # noqa: E402
    dose_preview as dose_preview,
)
from ketaclinic.treatment.selectors.dose import (  # noqa: E402
    prior_doses as prior_doses,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    amended_pmf_data as amended_pmf_data,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    current_value as current_value,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    discharge_check as discharge_check,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    dose_content as dose_content,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    open_alert_count_for_session as open_alert_count_for_session,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    pmf_treatment_date as pmf_treatment_date,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    session_content as session_content,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    session_record as session_record,
)
from ketaclinic.treatment.selectors.signing import (  # noqa: E402
    signing_problems as signing_problems,
)
# --- end of re-exports (services split) ---
