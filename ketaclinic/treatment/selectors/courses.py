"""Reads of courses: a patient's courses, a course's sessions, the chart's Treatment section."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.patients.models import Patient
from ketaclinic.treatment.models import Course, TreatmentSession
from ketaclinic.treatment.selectors.access import can_read_treatment
from ketaclinic.treatment.selectors.follow_up import follow_ups_for_patient


def courses_for_patient(*, membership: Membership, patient: Patient) -> list[Course]:
    if patient.clinic_id != membership.clinic_id or not can_read_treatment(membership):
        return []
    return list(
        Course.objects.filter(patient=patient)
        .select_related("protocol_version")
        # The sessions with their versions: the chart's follow-up ratings read them.
        .prefetch_related(
            Prefetch(
                "sessions", queryset=TreatmentSession.objects.select_related("protocol_version")
            )
        )
        .order_by("-enrolled_at")
    )


def sessions_for_course(course: Course) -> list[TreatmentSession]:
    return list(course.sessions.order_by("number"))


def patient_chart_context(*, membership: Membership, patient: Patient) -> dict[str, Any]:
    """The patient chart's Treatment section (templates/treatment/_patient_section.html)."""
    courses = courses_for_patient(membership=membership, patient=patient)
    return {
        "treatment_courses": courses,
        "can_read_treatment": can_read_treatment(membership),
        "can_enrol": membership.can(Perm.TREATMENT_PLAN),
        "follow_ups": follow_ups_for_patient(
            membership=membership, patient=patient, courses=courses
        ),
        "can_rate": membership.can(Perm.SCALE_RECORD),
    }
