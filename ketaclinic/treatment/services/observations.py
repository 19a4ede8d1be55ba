"""Observations (vitals and ratings, with the alerts they raise) and adverse events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import AlertKind, AlertSource, Severity
from ketaclinic.alerts.services import alert_raise
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.treatment import repository
from ketaclinic.treatment.domain import monitoring, timing
from ketaclinic.treatment.domain.protocol import Measure
from ketaclinic.treatment.models import (
    OBSERVATION_CODING,
    AdverseEvent,
    AdverseEventType,
    AeOutcome,
    AeSeverity,
    Observation,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.timeline import pure_observations
from ketaclinic.treatment.services._common import (
    _SIGNED_AND_LOCKED,
    _clinical_time,
    _lock_session,
    _need,
)

_MEASURE_CODES = frozenset(m.value for m in Measure)
#: Each rule's inbox kind. One alert per reading and kind: the SpO2 rules (below the limit, a
#: drop from pre-dose) share a kind and so one alert, at the higher severity, naming both.
_ALERT_KINDS: dict[monitoring.AlertKind, AlertKind] = {
    monitoring.AlertKind.HYPERTENSIVE_CRISIS: AlertKind.HYPERTENSIVE_CRISIS,
    monitoring.AlertKind.BP_RISE: AlertKind.BLOOD_PRESSURE,
    monitoring.AlertKind.SPO2_LOW: AlertKind.OXYGEN_SATURATION,
    monitoring.AlertKind.SPO2_DROP: AlertKind.OXYGEN_SATURATION,
    monitoring.AlertKind.RESPIRATORY_RATE_LOW: AlertKind.RESPIRATORY_DEPRESSION,
    monitoring.AlertKind.HEART_RATE_LOW: AlertKind.HEART_RATE,
    monitoring.AlertKind.HEART_RATE_HIGH: AlertKind.HEART_RATE,
    monitoring.AlertKind.SEDATION: AlertKind.SEDATION,
    monitoring.AlertKind.LOSS_OF_CONSCIOUSNESS: AlertKind.LOSS_OF_CONSCIOUSNESS,
    monitoring.AlertKind.DISSOCIATION: AlertKind.DISSOCIATION,
}

#: Adverse-event outcomes that make an event serious and raise a critical alert at once.
SERIOUS_OUTCOMES = frozenset({"fatal", "life_threatening", "hospitalisation"})


def _raise_reading_alerts(
    by: Membership, s: TreatmentSession, obs: Observation, alerts: list[monitoring.Alert]
) -> None:
    """One inbox alert per reading and kind; critical when any of its findings is."""
    grouped: dict[AlertKind, list[monitoring.Alert]] = {}
    for alert in alerts:
        grouped.setdefault(_ALERT_KINDS[alert.kind], []).append(alert)
    for kind, group in grouped.items():
        critical = any(a.severity is monitoring.Severity.CRITICAL for a in group)
        detail = " ".join(f"{a.message} Source: {a.source}." for a in group)
        alert_raise(
            by=by,
            clinic_id=s.clinic_id,
            kind=kind,
            severity=Severity.CRITICAL if critical else Severity.WARNING,
            title=f"Session {s.number}: {group[0].message}",
            patient=s.patient,
            detail=detail,
            source_type=AlertSource.OBSERVATION,
            source_id=str(obs.pk),
        )


def _observation_create(
    by: Membership,
    s: TreatmentSession,
    measure: Measure,
    *,
    measured_at: dt.datetime,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
) -> tuple[Observation, list[monitoring.Alert]]:
    pure = monitoring.Observation(
        measure=measure,
        taken_at=measured_at,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
    )
    errors = monitoring.validate_observation(pure)
    if errors:
        fields: dict[str, list[str]] = {}
        for e in errors:
            name = e.field if e.field in ("systolic_mmhg", "diastolic_mmhg", "text") else "value"
            label = {"spo2": "SpO2", "heart_rate": "heart rate", "moaa_s": "MOAA/S"}.get(
                e.field, e.field.replace("_", " ")
            )
            fields.setdefault(name, []).append(f"{label}: {e.message}")
        raise ValidationError(fields)
    minutes = None
    if s.dose_started_at is not None:
        minutes = int((measured_at - s.dose_started_at).total_seconds() // 60)
    # Every check above, the writes below: a failure here rolls the whole transaction back.
    with transaction.atomic(savepoint=False):
        return _observation_write(by, s, pure, measure, minutes)


def _observation_write(
    by: Membership,
    s: TreatmentSession,
    pure: monitoring.Observation,
    measure: Measure,
    minutes: int | None,
) -> tuple[Observation, list[monitoring.Alert]]:
    measured_at = pure.taken_at
    obs = Observation(
        session=s,
        code=measure.value,
        unit=OBSERVATION_CODING[measure.value][0],
        value=pure.value,
        systolic_mmhg=pure.systolic_mmhg,
        diastolic_mmhg=pure.diastolic_mmhg,
        text=pure.text,
        measured_at=measured_at,
        minutes_since_dose=minutes,
        recorded_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    repository.observation_insert(obs)
    thresholds = s.protocol_version.protocol.thresholds
    if s.dose_started_at is not None and measured_at >= s.dose_started_at:
        baseline = monitoring.baseline_from(
            pure_observations(repository.baseline_observations(s)), s.dose_started_at
        )
        alerts = monitoring.alerts_for(pure, baseline=baseline, thresholds=thresholds)
    else:
        # Before dosing the reading is its own baseline: only the absolute limits apply.
        alerts = monitoring.predose_alerts_for(pure, thresholds=thresholds)
    # The audit event last (then the alerts' own events, in the same order as before): the
    # chain-head row lock it takes is held until the commit, so the less work after it, the
    # shorter the time every other writer in the installation waits for it.
    audit_record(
        event_type=EventType.OBSERVATION_RECORDED,
        actor=by,
        obj=obs,
        patient_id=s.patient_id,
        extra={"session_id": s.pk, "code": measure.value, "minutes_since_dose": minutes},
    )
    _raise_reading_alerts(by, s, obs, alerts)
    return obs, alerts


@transaction.atomic
def observation_record(
    *,
    by: Membership,
    session: TreatmentSession,
    code: str,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
    measured_at: dt.datetime | None = None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """Record one measurement with its time since the start of dosing. Impossible values are
    refused (monitoring.validate_observation); a BP rise, an SpO2 drop, a heart rate out of
    range, a MOAA/S fall or a loss of consciousness raises an alert (alerts inbox, chair board).
    """
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    return _observation_record_locked(
        by,
        s,
        code=code,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
        measured_at=measured_at,
    )


def observation_record_by_id(
    *,
    by: Membership,
    session_id: int,
    code: str,
    value: int | None = None,
    systolic_mmhg: int | None = None,
    diastolic_mmhg: int | None = None,
    text: str = "",
    measured_at: dt.datetime | None = None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """``observation_record`` for the web endpoint, which has only the session's id: the session
    is read once, already under its row lock, instead of once to check access and again to lock.
    Access is checked as ``selectors.get_session_for_user`` checks it, against the database on
    every call: another clinic's (or an unknown) session is a 404, a role without
    ``TREATMENT_ADMINISTER`` a 403. Only the session's own row is locked (``of=self``): a reading
    changes nothing in the clinic, patient, course or protocol rows, and locking them made every
    reading in a clinic wait for every other one.

    Inside a caller's transaction (the endpoint's one-time form token) no savepoint is taken
    (issue 15: two statements fewer, one of them while the audit chain head is locked): every
    check that can refuse the reading runs before its first write, and a failure after that
    rolls back the caller's whole transaction, the form token with it."""
    kwargs: dict[str, Any] = {
        "code": code,
        "value": value,
        "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg,
        "text": text,
        "measured_at": measured_at,
    }
    if transaction.get_connection().in_atomic_block:
        return _observation_record_by_id(by, session_id, kwargs)
    with transaction.atomic():
        return _observation_record_by_id(by, session_id, kwargs)


def _observation_record_by_id(
    by: Membership, session_id: int, kwargs: dict[str, Any]
) -> tuple[Observation, list[monitoring.Alert]]:
    s = repository.session_locked(session_id, by.clinic_id)
    if s is None:
        raise Http404
    _need(by, Perm.TREATMENT_ADMINISTER)
    if s.signed_at is not None:
        raise ValidationError(_SIGNED_AND_LOCKED)
    return _observation_record_locked(by, s, **kwargs)


def _observation_record_locked(
    by: Membership,
    s: TreatmentSession,
    *,
    code: str,
    value: int | None,
    systolic_mmhg: int | None,
    diastolic_mmhg: int | None,
    text: str,
    measured_at: dt.datetime | None,
) -> tuple[Observation, list[monitoring.Alert]]:
    """The body of ``observation_record``, for a session read under its row lock."""
    if s.checked_in_at is None:
        raise ValidationError("Check the patient in first.")
    if s.phase in (SessionPhase.MISSED, SessionPhase.CANCELLED, SessionPhase.DONE):
        raise ValidationError(f"This session is {s.get_phase_display().lower()}.")
    if code not in _MEASURE_CODES:
        raise ValidationError({"code": "Choose what was measured."})
    step = timing.Step.READING if s.dose_started_at is None else timing.Step.POST_DOSE_READING
    when = _clinical_time(by, s, measured_at, field="measured_at", label="Measured at", step=step)
    return _observation_create(
        by,
        s,
        Measure(code),
        measured_at=when,
        value=value,
        systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg,
        text=text,
    )


@transaction.atomic
def adverse_event_record(
    *,
    by: Membership,
    session: TreatmentSession,
    event_type: str,
    severity: str,
    serious: bool,
    action_taken: str,
    outcome: str,
    description: str = "",
    onset_at: dt.datetime | None = None,
) -> AdverseEvent:
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    errors: dict[str, str] = {}
    if event_type not in AdverseEventType.values:
        errors["event_type"] = "Choose a type from the list."
    if severity not in AeSeverity.values:
        errors["severity"] = "Choose mild, moderate or severe."
    if outcome not in AeOutcome.values:
        errors["outcome"] = "Choose an outcome."
    if not action_taken.strip():
        errors["action_taken"] = "Say what was done (or 'none')."
    if event_type == AdverseEventType.OTHER and not description.strip():
        errors["description"] = "Describe the event."
    try:
        onset = _clinical_time(
            by, s, onset_at, field="onset_at", label="Onset", step=timing.Step.ADVERSE_EVENT
        )
    except ValidationError as e:
        errors.update({k: " ".join(v) for k, v in e.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    # An outcome that is a seriousness criterion makes the event serious whatever was ticked.
    serious = serious or outcome in SERIOUS_OUTCOMES
    ae = AdverseEvent.objects.create(
        session=s,
        event_type=event_type,
        description=description.strip(),
        onset_at=onset,
        severity=severity,
        serious=serious,
        action_taken=action_taken.strip(),
        outcome=outcome,
        recorded_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    audit_record(
        event_type=EventType.ADVERSE_EVENT_RECORDED,
        actor=by,
        obj=ae,
        patient_id=s.patient_id,
        extra={
            "session_id": s.pk,
            "event_type": event_type,
            "severity": severity,
            "serious": serious,
            "outcome": outcome,
        },
    )
    if serious:
        label = AeOutcome(outcome).label
        alert_raise(
            by=by,
            clinic_id=s.clinic_id,
            kind=AlertKind.SERIOUS_ADVERSE_EVENT,
            severity=Severity.CRITICAL,
            title=f"Session {s.number}: serious adverse event ({label})",
            patient=s.patient,
            detail=f"{AdverseEventType(event_type).label}, outcome {label}: act now and report "
            "it (REMS: suspected adverse events to 1-855-382-6022).",
            source_type=AlertSource.ADVERSE_EVENT,
            source_id=str(ae.pk),
        )
    return ae


__all__ = [
    "adverse_event_record",
    "observation_record",
    "observation_record_by_id",
]
