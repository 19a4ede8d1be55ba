"""Treatment pages, one module per sub-domain: protocols, courses, closures, the chair board, the
session at the chair (page and check-in, pre-dose, dose, observations, signing) and REMS forms.
Thin: parse a form, call a service, render what a selector read. Objects come only through the
selectors. This package re-exports the view functions for ``treatment/urls.py``."""

from __future__ import annotations

from ketaclinic.treatment.views.board import board, board_rows
from ketaclinic.treatment.views.closures import closure_cancel, closures
from ketaclinic.treatment.views.courses import (
    course_detail,
    course_enrol,
    session_cancel,
    session_miss,
    session_move,
    session_reinstate,
)
from ketaclinic.treatment.views.dose import dose
from ketaclinic.treatment.views.follow_ups import follow_ups
from ketaclinic.treatment.views.observations import adverse_event, observation
from ketaclinic.treatment.views.predose import checklist, checklist_again, decision
from ketaclinic.treatment.views.protocols import (
    protocol_copy,
    protocol_create,
    protocol_detail,
    protocol_list,
    protocol_version_new,
)
from ketaclinic.treatment.views.rems import (
    rems_dashboard,
    rems_form,
    rems_form_json,
    rems_submitted,
)
from ketaclinic.treatment.views.session import session_check_in, session_detail
from ketaclinic.treatment.views.signing import amend, discharge, rems_fill, sign

__all__ = [
    "adverse_event",
    "amend",
    "board",
    "board_rows",
    "checklist",
    "checklist_again",
    "closure_cancel",
    "closures",
    "course_detail",
    "course_enrol",
    "decision",
    "discharge",
    "dose",
    "follow_ups",
    "observation",
    "protocol_copy",
    "protocol_create",
    "protocol_detail",
    "protocol_list",
    "protocol_version_new",
    "rems_dashboard",
    "rems_fill",
    "rems_form",
    "rems_form_json",
    "rems_submitted",
    "session_cancel",
    "session_check_in",
    "session_detail",
    "session_miss",
    "session_move",
    "session_reinstate",
    "sign",
]
