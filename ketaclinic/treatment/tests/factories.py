"""Treatment objects for a patient, for tests outside this app (the access-control fillers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

_CACHE: dict[str, dict[str, Any]] = {}


def treatment_objects(patient: Any) -> dict[str, Any]:
    """A protocol (esketamine TRD), a course with its sessions, a REMS form for the first
    session and a clinic closure, in the patient's clinic. Created once per patient."""
    key = str(patient.pk)
    if key in _CACHE:
        return _CACHE[key]
    from conftest import PASSWORD
    from ketaclinic.accounts.models import Membership
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.services import membership_grant, user_create
    from ketaclinic.treatment.models import RemsMonitoringForm
    from ketaclinic.treatment.services import (
        closure_add,
        course_enrol,
        protocol_copy_from_library,
    )

    clinic = patient.clinic
    admin = Membership.objects.filter(clinic=clinic, role=Role.CLINIC_ADMIN).first()
    if admin is None:
        user = user_create(
            by=None,
            username=f"factory-admin-{clinic.pk}",
            password=PASSWORD,
            first_name="Factory",
            last_name="Admin",
        )
        admin = membership_grant(by=None, user=user, clinic=clinic, role=Role.CLINIC_ADMIN)
    prescriber = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).first()
    assert prescriber is not None
    version = protocol_copy_from_library(by=admin, library_code="esketamine_trd")
    course = course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note="Access-control test course",
        start_date=timezone.now().date(),
        session_time=dt.time(9, 0),
    )
    session = course.sessions.order_by("number").first()
    assert session is not None
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
        reason="Access-control test closure",
    )
    _CACHE[key] = {
        "closure": closure,
        "protocol": version.family,
        "version": version,
        "course": course,
        "session": session,
        "rems_form": form,
    }
    return _CACHE[key]
