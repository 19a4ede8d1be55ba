"""Reads of treatment records, one module per sub-domain. Every ``get_*_for_user`` returns only
the caller's active clinic's objects (another clinic's object is a 404) and checks the role (403).

This package re-exports the public reads so that ``from ketaclinic.treatment import selectors;
selectors.board(...)`` works for other apps. Modules inside the package import their siblings
directly (``from ketaclinic.treatment.selectors.access import ...``), never this package.
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
from ketaclinic.treatment.selectors.board import (
    Board,
    BoardRow,
    board,
    board_data_version,
    board_unchanged,
    board_version_token,
    board_with_clock,
    decisions_waiting,
)
from ketaclinic.treatment.selectors.calendar import (
    clinic_calendar,
    clinic_closure_dates,
    missed_guidance_for,
    missed_session_guidance,
    plan_calendar,
)
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
from ketaclinic.treatment.selectors.dose import DosePreview, dose_preview, prior_doses
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
from ketaclinic.treatment.selectors.session_page import SessionPage, session_page
from ketaclinic.treatment.selectors.signing import (
    amended_pmf_data,
    current_value,
    discharge_check,
    dose_content,
    open_alert_count_for_session,
    pmf_missing,
    pmf_treatment_date,
    session_content,
    session_record,
    signing_problems,
)
from ketaclinic.treatment.selectors.timeline import (
    derived_phase,
    is_rate_based_or_infusion,
    phase_label,
    pure_observations,
    session_timeline,
)

__all__ = [
    "INDICATION_LABELS",
    "SUICIDALITY_FLAGS",
    "Board",
    "BoardRow",
    "DosePreview",
    "OutcomeCourses",
    "PendingDecision",
    "PreSessionScale",
    "ScaleFlag",
    "SessionPage",
    "active_versions",
    "amended_pmf_data",
    "baseline_observations",
    "board",
    "board_data_version",
    "board_unchanged",
    "board_version_token",
    "board_with_clock",
    "can_manage_closures",
    "can_read_protocols",
    "can_read_treatment",
    "can_run_sessions",
    "clinic_calendar",
    "clinic_closure_dates",
    "closed_dates",
    "closures_for_clinic",
    "courses_for_patient",
    "current_value",
    "decisions_waiting",
    "derived_phase",
    "discharge_check",
    "dose_content",
    "dose_preview",
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
    "missed_guidance_for",
    "missed_session_guidance",
    "open_alert_count_for_session",
    "outcome_courses",
    "patient_chart_context",
    "pending_decisions",
    "phase_label",
    "plan_calendar",
    "pmf_missing",
    "pmf_treatment_date",
    "pre_session_scales",
    "predose_bp",
    "prior_doses",
    "protocol_versions",
    "protocols_for_clinic",
    "pure_observations",
    "rems_form_for_session",
    "rems_forms_due",
    "scales_window_start",
    "session_content",
    "session_page",
    "session_record",
    "session_timeline",
    "sessions_for_course",
    "sessions_on_closures",
    "signing_problems",
    "suicidality_flags",
    "suicidality_flags_for",
]
