"""The session record as one document, built from plain data: its canonical content (what a
signature is bound to) and the amendments laid over it. The REMS Patient Monitoring Form filled
from the same session is ``treatment.domain.pmf``.

Pure module: no Django import. ``treatment.selectors.signing`` gathers the facts below from the
database; the functions here only arrange them. The content dicts are what signatures hash, so
their keys, order and value formats must never change (a changed format would make every
existing signature stop matching).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ketaclinic.treatment.domain import monitoring, rems
from ketaclinic.treatment.domain.protocol import Measure

#: What a signed session's amendment may change: field -> label. ``rems.<name>`` are PMF fields.
AMENDABLE_FIELDS: dict[str, str] = {
    "escort": "Escort or ride home",
    "discharge_note": "Discharge note",
    "dose.product": "Product",
    "dose.lot_number": "Lot number",
    "dose.expiry_date": "Expiry date",
    **{
        f"rems.{f.name}": f"REMS form: {f.name.replace('_', ' ')}"
        for f in dataclasses.fields(rems.PatientMonitoringForm)
    },
}


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """A time in UTC to the second, or a date, as ISO 8601 (the record's one time format)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return value.isoformat()


# --------------------------------------------------------------------------------------------
# The facts a record is built from


@dataclasses.dataclass(frozen=True)
class SessionFacts:
    id: int
    patient_id: uuid.UUID
    course_id: int
    protocol_version_id: int
    number: int
    scheduled_at: dt.datetime
    chair: str
    checked_in_at: dt.datetime | None
    dose_started_at: dt.datetime | None
    discharged_at: dt.datetime | None
    discharge_criteria_met: tuple[str, ...]
    escort: str
    discharge_note: str


@dataclasses.dataclass(frozen=True)
class ChecklistFacts:
    fasting_confirmed: bool
    ride_home_confirmed: bool
    nasal_medication_timing_ok: bool | None
    pregnancy_status: str
    scales_reviewed: bool
    notes: str
    recorded_by_id: int
    # The answers before each re-recording, oldest first (issue 14); part of the signed content
    # only when there are some, so that content signed before re-recording existed hashes as it
    # did.
    revisions: tuple[dict[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class DecisionFacts:
    kind: str
    outcome: str
    reason: str
    subject: str
    decided_by_id: int
    decided_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class DoseFacts:
    dose_mg: Decimal
    dose_mg_per_kg: Decimal | None
    weight_kg: Decimal | None
    weight_measured_at: dt.datetime | None
    product: str
    lot_number: str
    expiry_date: dt.date
    concentration_mg_per_ml: Decimal | None
    volume_ml: Decimal | None
    rate_ml_per_h: Decimal | None
    device_count: int | None
    device_times: tuple[str, ...]
    started_at: dt.datetime
    override_reason: str
    given_by_id: int
    witnessed_by_id: int | None
    # IV preparation (issue 9); part of the signed content only when recorded, so that content
    # signed before these were kept hashes as it did.
    requested_dose_mg: Decimal | None = None
    container: str = ""
    final_volume_ml: Decimal | None = None
    final_concentration_mg_per_ml: Decimal | None = None
    rate_mg_per_h: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class ObservationFacts:
    id: int
    code: str
    unit: str
    value: int | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    text: str
    measured_at: dt.datetime
    minutes_since_dose: int | None

    def to_monitoring(self) -> monitoring.Observation:
        """The reading as the monitoring rules see it."""
        return monitoring.Observation(
            measure=Measure(self.code),
            taken_at=self.measured_at,
            value=self.value,
            systolic_mmhg=self.systolic_mmhg,
            diastolic_mmhg=self.diastolic_mmhg,
            text=self.text,
        )


@dataclasses.dataclass(frozen=True)
class AdverseEventFacts:
    event_type: str
    severity: str
    serious: bool
    action_taken: str
    outcome: str
    description: str
    onset_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AmendmentFacts:
    field: str
    old_value: Any  # JSON: a PMF field may be a number or yes/no
    new_value: Any
    reason: str
    author_id: int
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class SessionRecord:
    """Everything a session's signature covers, each list in the record's order (decisions by
    time, observations by measurement time, adverse events by onset, amendments by creation)."""

    session: SessionFacts
    checklist: ChecklistFacts | None
    decisions: tuple[DecisionFacts, ...]
    dose: DoseFacts | None
    observations: tuple[ObservationFacts, ...]
    adverse_events: tuple[AdverseEventFacts, ...]
    rems_form: dict[str, Any] | None
    amendments: tuple[AmendmentFacts, ...]


# --------------------------------------------------------------------------------------------
# Canonical content


def _str_or_none(value: Decimal | None) -> str | None:
    return str(value) if value else None


def dose_fields(dose: DoseFacts) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "dose_mg": str(dose.dose_mg),
        "dose_mg_per_kg": _str_or_none(dose.dose_mg_per_kg),
        "weight_kg": _str_or_none(dose.weight_kg),
        "weight_measured_at": iso(dose.weight_measured_at),
        "product": dose.product,
        "lot_number": dose.lot_number,
        "expiry_date": iso(dose.expiry_date),
        "concentration_mg_per_ml": _str_or_none(dose.concentration_mg_per_ml),
        "volume_ml": _str_or_none(dose.volume_ml),
        "rate_ml_per_h": _str_or_none(dose.rate_ml_per_h),
        "device_count": dose.device_count,
        "device_times": list(dose.device_times),
        "started_at": iso(dose.started_at),
        "override_reason": dose.override_reason,
        "given_by": dose.given_by_id,
        "witnessed_by": dose.witnessed_by_id,
    }
    preparation = {
        "requested_dose_mg": _str_or_none(dose.requested_dose_mg),
        "container": dose.container or None,
        "final_volume_ml": _str_or_none(dose.final_volume_ml),
        "final_concentration_mg_per_ml": _str_or_none(dose.final_concentration_mg_per_ml),
        "rate_mg_per_h": _str_or_none(dose.rate_mg_per_h),
    }
    fields.update({k: v for k, v in preparation.items() if v is not None})
    return fields


def dose_content(*, session_id: int, patient_id: uuid.UUID, dose: DoseFacts) -> dict[str, Any]:
    """What the dose's witness signs: the dose as recorded, with its session and patient, so the
    witness signature cannot be carried over to another dose (21 CFR 11.70)."""
    return {"session_id": session_id, "patient_id": str(patient_id), "dose": dose_fields(dose)}


def session_content(record: SessionRecord) -> dict[str, Any]:
    """The canonical content of a session, the thing its signature's hash covers. Amendments are
    part of it, so an amendment after signing makes the signature stop matching."""
    s = record.session
    c = record.checklist
    return {
        "session": {
            "id": s.id,
            "patient_id": str(s.patient_id),
            "course_id": s.course_id,
            "protocol_version_id": s.protocol_version_id,
            "number": s.number,
            "scheduled_at": iso(s.scheduled_at),
            "chair": s.chair,
            "checked_in_at": iso(s.checked_in_at),
            "dose_started_at": iso(s.dose_started_at),
            "discharged_at": iso(s.discharged_at),
            "discharge_criteria_met": list(s.discharge_criteria_met),
            "escort": s.escort,
            "discharge_note": s.discharge_note,
        },
        "checklist": None
        if c is None
        else {
            "fasting_confirmed": c.fasting_confirmed,
            "ride_home_confirmed": c.ride_home_confirmed,
            "nasal_medication_timing_ok": c.nasal_medication_timing_ok,
            "pregnancy_status": c.pregnancy_status,
            "scales_reviewed": c.scales_reviewed,
            "notes": c.notes,
            "recorded_by": c.recorded_by_id,
            **({"revisions": [dict(r) for r in c.revisions]} if c.revisions else {}),
        },
        "decisions": [
            {
                "kind": d.kind,
                "outcome": d.outcome,
                "reason": d.reason,
                "subject": d.subject,
                "by": d.decided_by_id,
                "at": iso(d.decided_at),
            }
            for d in record.decisions
        ],
        "dose": None if record.dose is None else dose_fields(record.dose),
        "observations": [
            {
                "id": o.id,
                "code": o.code,
                "unit": o.unit,
                "value": o.value,
                "systolic_mmhg": o.systolic_mmhg,
                "diastolic_mmhg": o.diastolic_mmhg,
                "text": o.text,
                "measured_at": iso(o.measured_at),
                "minutes_since_dose": o.minutes_since_dose,
            }
            for o in record.observations
        ],
        "adverse_events": [
            {
                "type": a.event_type,
                "severity": a.severity,
                "serious": a.serious,
                "action_taken": a.action_taken,
                "outcome": a.outcome,
                "description": a.description,
                "onset_at": iso(a.onset_at),
            }
            for a in record.adverse_events
        ],
        "rems_form": None if record.rems_form is None else dict(record.rems_form),
        "amendments": [
            {
                "field": a.field,
                "old": a.old_value,
                "new": a.new_value,
                "reason": a.reason,
                "author": a.author_id,
                "at": iso(a.created_at),
            }
            for a in record.amendments
        ],
    }


def amended_pmf_data(data: dict[str, Any], amendments: Sequence[AmendmentFacts]) -> dict[str, Any]:
    """The PMF as filed now: the stored data with ``rems.*`` amendments (and a lot-number
    amendment of the dose) laid over it, oldest amendment first."""
    result = dict(data)
    for a in amendments:
        if a.field.startswith("rems."):
            result[a.field.split(".", 1)[1]] = a.new_value
        elif a.field == "dose.lot_number":
            result["lot_number"] = a.new_value
    return result
