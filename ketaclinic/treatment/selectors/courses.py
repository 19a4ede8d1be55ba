"""Reads of courses: a patient's courses, a course's sessions, the chart's Treatment section."""

from __future__ import annotations

from typing import Any

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.treatment.models import Course, TreatmentSession
from ketaclinic.treatment.selectors.access import can_read_treatment


def courses_for_patient(*, membership: Membership, patient: Patient) -> list[Course]:
    if patient.clinic_id != membership.clinic_id or not can_read_treatment(membership):
        return []
    return list(
        Course.objects.filter(patient=patient)
        .select_related("protocol_version")
        .prefetch_related("sessions")
        .order_by("-enrolled_at")
    )


def sessions_for_course(course: Course) -> list[TreatmentSession]:
    return list(course.sessions.order_by("number"))


def patient_chart_context(*, membership: Membership, patient: Patient) -> dict[str, Any]:
    """The patient chart's Treatment section (templates/treatment/_patient_section.html)."""
    return {
        "treatment_courses": courses_for_patient(membership=membership, patient=patient),
        "can_read_treatment": can_read_treatment(membership),
        "can_enrol": membership.can(Perm.TREATMENT_PLAN),
    }
