"""The pure view of a session: its readings as the monitoring core sees them, the timeline of
planned observations and the phase shown at the chair and on the board."""

from __future__ import annotations

import datetime as dt

from ketaclinic.treatment.domain import monitoring, timing
from ketaclinic.treatment.domain.protocol import RATE_BASED, Measure, Route
from ketaclinic.treatment.models import Observation, SessionPhase, TreatmentSession


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


NOT_RECORDED = "Not recorded"


def phase_label(session: TreatmentSession, now: dt.datetime) -> str:
    """The phase as people read it: a scheduled session whose time has passed without check-in
    is "Not recorded" (issue 14), not "Scheduled"."""
    phase = derived_phase(session, now)
    if phase == SessionPhase.SCHEDULED and timing.is_overdue(
        scheduled_at=session.scheduled_at, now=now
    ):
        return NOT_RECORDED
    return str(dict(SessionPhase.choices).get(phase, phase))


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
    minutes = monitoring.effective_observation_minutes(
        protocol, hepatic_impairment=session.patient.hepatic_impairment
    )
    if now >= start + dt.timedelta(minutes=minutes):
        return SessionPhase.READY_FOR_DISCHARGE
    return SessionPhase.MONITORING


def is_rate_based_or_infusion(session: TreatmentSession) -> bool:
    p = session.protocol_version.protocol
    return p.route is Route.IV_INFUSION or p.dose.basis in RATE_BASED


def session_timeline(
    session: TreatmentSession, now: dt.datetime, observations: list[Observation] | None = None
) -> list[monitoring.ItemStatus]:
    obs = observations if observations is not None else list(session.observations.all())
    return monitoring.timeline(
        session.protocol_version.protocol,
        dose_started_at=session.dose_started_at,
        now=now,
        observations=pure_observations(obs),
        hepatic_impairment=session.patient.hepatic_impairment,
    )
