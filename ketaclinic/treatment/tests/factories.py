"""Treatment objects for a patient, for tests outside this app (the access-control fillers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

COURSE_NOTE = "Access-control test course"
CLOSURE_REASON = "Access-control test closure"


def treatment_objects(patient: Any) -> dict[str, Any]:
    """A protocol (esketamine TRD), a course with its sessions, a REMS form for the first
    session and a clinic closure, in the patient's clinic.

    Idempotent without a cache: the objects are looked up in the database (the course by its
    decision note) and made only when they are not there, so nothing outlives the test's
    transaction."""
    from ketaclinic.treatment.models import ClinicClosure, Course, RemsMonitoringForm

    course = (
        Course.objects.filter(patient=patient, decision_note=COURSE_NOTE)
        .select_related("protocol_version__family")
        .first()
    )
    if course is None:
        return _make(patient)
    session = course.sessions.order_by("number").first()
    assert session is not None
    closure = ClinicClosure.objects.filter(
        clinic_id=patient.clinic_id, reason=CLOSURE_REASON
    ).first()
    return {
        "closure": closure,
        "protocol": course.protocol_version.family,
        "version": course.protocol_version,
        "course": course,
        "session": session,
        "rems_form": RemsMonitoringForm.objects.get(session=session),
    }


def _make(patient: Any) -> dict[str, Any]:
    from ketaclinic import testing
    from ketaclinic.accounts.models import Membership
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.treatment.models import RemsMonitoringForm
    from ketaclinic.treatment.services import closure_add, course_enrol

    clinic = patient.clinic
    admin = Membership.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN).first()
    if admin is None:
        admin = testing.make_member(
            clinic,
            f"factory-admin-{clinic.pk}",
            Role.CLINIC_ADMIN,
            first_name="Factory",
            last_name="Admin",
        )
    prescriber = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).first()
    assert prescriber is not None
    version = testing.shipped_protocol(admin, "esketamine_trd")
    testing.clear_for_course(prescriber, patient, version)
    course = course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note=COURSE_NOTE,
        start_date=timezone.now().date(),
        session_time=dt.time(9, 0),
    )
    session = course.sessions.order_by("number").first()
    assert session is not None
    # Made directly: session_discharge makes the form of a discharged session; the access tests
    # need only a form row to reach, not a session walked to discharge.
    form = RemsMonitoringForm.objects.create(
        session=session,
        clinic=clinic,
        layout="test",
        data={},
        due_date=timezone.now().date(),
        created_at=timezone.now(),
    )
    closure = closure_add(
        by=admin,
        date=timezone.now().astimezone(clinic.tzinfo).date() + dt.timedelta(days=60),
        reason=CLOSURE_REASON,
    )
    return {
        "closure": closure,
        "protocol": version.family,
        "version": version,
        "course": course,
        "session": session,
        "rems_form": form,
    }
