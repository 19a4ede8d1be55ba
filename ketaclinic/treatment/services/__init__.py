"""Writes of the treatment app, one module per sub-domain. Each is keyword-only, typed, checks the
actor's permission, runs in one transaction and writes its audit event inside it. The clinical
arithmetic and rules are the pure modules' (``treatment.domain``); these functions apply them to
the stored records and refuse with ``ValidationError`` messages naming the field. Reads live in
``treatment.selectors``.

A signed session is locked: every write refuses it, except ``session_amend`` (an Amendment row;
the original stays) and ``rems_form_mark_submitted`` (the filing receipt).

This package only re-exports; its modules import each other directly, never this package.
"""

from __future__ import annotations

from ketaclinic.treatment.services.calendar import (
    closure_add,
    closure_cancel,
    course_enrol,
    session_cancel,
    session_check_in,
    session_miss,
    session_move,
    session_reinstate,
)
from ketaclinic.treatment.services.dose import dose_record
from ketaclinic.treatment.services.observations import (
    adverse_event_record,
    observation_record,
    observation_record_by_id,
)
from ketaclinic.treatment.services.predose import (
    CHECKLIST_ANSWERS,
    checklist_record,
    checklist_rerecord,
    prescriber_decision_record,
)
from ketaclinic.treatment.services.protocols import (
    protocol_copy_from_library,
    protocol_create,
    protocol_new_version,
)
from ketaclinic.treatment.services.rems_deadlines import DeadlineRun, rems_deadline_alerts
from ketaclinic.treatment.services.signing import (
    rems_form_mark_submitted,
    rems_form_update,
    session_amend,
    session_discharge,
    session_sign,
)
from ketaclinic.treatment.services.witness import WITNESS_REFUSED, WitnessSignOff

# isort: split
__all__ = [
    "CHECKLIST_ANSWERS",
    "WITNESS_REFUSED",
    "DeadlineRun",
    "WitnessSignOff",
    "adverse_event_record",
    "checklist_record",
    "checklist_rerecord",
    "closure_add",
    "closure_cancel",
    "course_enrol",
    "dose_record",
    "observation_record",
    "observation_record_by_id",
    "prescriber_decision_record",
    "protocol_copy_from_library",
    "protocol_create",
    "protocol_new_version",
    "rems_deadline_alerts",
    "rems_form_mark_submitted",
    "rems_form_update",
    "session_amend",
    "session_cancel",
    "session_check_in",
    "session_discharge",
    "session_miss",
    "session_move",
    "session_reinstate",
    "session_sign",
]
