"""Reads of treatment records, one module per sub-domain. Every ``get_*_for_user`` returns only
the caller's active clinic's objects (another clinic's object is a 404) and checks the role (403).

This package re-exports the public reads so that ``from ketaclinic.treatment import selectors;
selectors.board(...)`` works for other apps. Modules inside the package import their siblings
directly (``from ketaclinic.treatment.selectors.access import ...``), never this package.
``session_page`` is not re-exported: it composes services' reads and is imported only by
treatment's views (``from ketaclinic.treatment.selectors.session_page import session_page``).
"""

from __future__ import annotations

from ketaclinic.treatment.selectors.access import (
    can_manage_closures,
    can_read_protocols,
    can_read_treatment,
    can_run_sessions,
    get_closure_for_user,
    get_course_for_user,
    get_protocol_for_user,
    get_protocol_version_for_user,
    get_rems_form_for_user,
    get_session_for_user,
)
from ketaclinic.treatment.selectors.board import BoardRow, board, decisions_waiting
from ketaclinic.treatment.selectors.closures import (
    closed_dates,
    closures_for_clinic,
    sessions_on_closures,
)
from ketaclinic.treatment.selectors.courses import (
    courses_for_patient,
    patient_chart_context,
    sessions_for_course,
)
from ketaclinic.treatment.selectors.outcomes import (
    INDICATION_LABELS,
    OutcomeCourses,
    dosed_session_times,
    outcome_courses,
)
from ketaclinic.treatment.selectors.predose import (
    SUICIDALITY_FLAGS,
    PendingDecision,
    PreSessionScale,
    ScaleFlag,
    baseline_observations,
    dosing_blockers,
    pending_decisions,
    pre_session_scales,
    predose_bp,
    scales_window_start,
    suicidality_flags,
    suicidality_flags_for,
)
from ketaclinic.treatment.selectors.protocols import (
    active_versions,
    latest_version,
    protocol_versions,
    protocols_for_clinic,
)
from ketaclinic.treatment.selectors.rems import rems_form_for_session, rems_forms_due
from ketaclinic.treatment.selectors.timeline import (
    derived_phase,
    is_rate_based_or_infusion,
    pure_observations,
    session_timeline,
)

__all__ = [
    "INDICATION_LABELS",
    "SUICIDALITY_FLAGS",
    "BoardRow",
    "OutcomeCourses",
    "PendingDecision",
    "PreSessionScale",
    "ScaleFlag",
    "active_versions",
    "baseline_observations",
    "board",
    "can_manage_closures",
    "can_read_protocols",
    "can_read_treatment",
    "can_run_sessions",
    "closed_dates",
    "closures_for_clinic",
    "courses_for_patient",
    "decisions_waiting",
    "derived_phase",
    "dosed_session_times",
    "dosing_blockers",
    "get_closure_for_user",
    "get_course_for_user",
    "get_protocol_for_user",
    "get_protocol_version_for_user",
    "get_rems_form_for_user",
    "get_session_for_user",
    "is_rate_based_or_infusion",
    "latest_version",
    "outcome_courses",
    "patient_chart_context",
    "pending_decisions",
    "pre_session_scales",
    "predose_bp",
    "protocol_versions",
    "protocols_for_clinic",
    "pure_observations",
    "rems_form_for_session",
    "rems_forms_due",
    "scales_window_start",
    "session_timeline",
    "sessions_for_course",
    "sessions_on_closures",
    "suicidality_flags",
    "suicidality_flags_for",
]
