"""Gates before dosing: the scales taken for the session, suicidality flags, the pre-dose blood
pressure, the checklist, and what waits for a prescriber's recorded decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ketaclinic.scales.selectors import final_responses_since, latest_responses
from ketaclinic.treatment.domain import monitoring
from ketaclinic.treatment.domain.protocol import Measure
from ketaclinic.treatment.models import (
    DecisionKind,
    DecisionOutcome,
    Observation,
    PreDoseChecklist,
    SessionPhase,
    TreatmentSession,
)

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
    session: TreatmentSession,
    *,
    flags: list[ScaleFlag] | None = None,
    include_scales: bool = True,
) -> list[PendingDecision]:
    """Suicidality flags without a review; a pre-dose BP above the threshold without a decision;
    (``include_scales``) a required pre-session scale neither answered nor skipped by a
    prescriber with a reason. ``flags``: the session's suicidality flags when the caller fetched
    them in bulk."""
    pending: list[PendingDecision] = []
    decisions = list(session.decisions.all())

    def decided(kind: str, subject: str) -> bool:
        return any(
            d.kind == kind and d.outcome == DecisionOutcome.PROCEED and d.subject == subject
            for d in decisions
        )

    if include_scales:
        for scale in pre_session_scales(session):
            subject = f"scale:{scale.code}"
            if scale.response is None and not decided(DecisionKind.SCALE_SKIPPED, subject):
                pending.append(
                    PendingDecision(
                        DecisionKind.SCALE_SKIPPED,
                        subject,
                        f"{scale.name}: not answered for this session. Enter it, or a "
                        "prescriber skips it with a reason (the protocol asks for it before "
                        "every session).",
                    )
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
    reasons += [
        p.message
        for p in pending_decisions(session, flags=flags, include_scales=not prescriber_only)
    ]
    return reasons
