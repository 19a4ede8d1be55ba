"""``ketaclinic treatment rems-deadlines``: REMS_DEADLINE alerts for Patient Monitoring Forms not
submitted 2 days before their 7-day deadline (warning) or past it (critical), idempotent."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.alerts.models import Alert, AlertKind, Severity
from ketaclinic.audit.models import AuditEvent
from ketaclinic.treatment.models import RemsMonitoringForm

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _form(session: Any, treatment_date: dt.date, **kw: Any) -> RemsMonitoringForm:
    return RemsMonitoringForm.objects.create(
        session=session,
        clinic_id=session.clinic_id,
        layout="test",
        data={"treatment_date": treatment_date.isoformat()},
        due_date=treatment_date + dt.timedelta(days=7),
        created_at=timezone.now(),
        **kw,
    )


def _run() -> str:
    out = StringIO()
    call_command("treatment", "rems-deadlines", stdout=out)
    return out.getvalue()


def _alerts() -> list[Alert]:
    return list(Alert.objects.filter(kind=AlertKind.REMS_DEADLINE).order_by("raised_at", "id"))


def test_a_warning_two_days_before_the_deadline_then_a_critical_alert_once_overdue(
    esk_version, enrol
) -> None:
    course = enrol(esk_version)
    session = course.sessions.order_by("number").first()
    form = _form(session, dt.date(2026, 12, 1))  # due 2026-12-08 (New York dates)
    with time_machine.travel(dt.datetime(2026, 12, 4, 17, tzinfo=UTC), tick=False):
        assert "new alerts: 0 due soon, 0 overdue" in _run()  # 4 days left
    # 2026-12-06 03:00 UTC is still 12-05 in New York: 3 days left, nothing yet.
    with time_machine.travel(dt.datetime(2026, 12, 6, 3, tzinfo=UTC), tick=False):
        _run()
        assert _alerts() == []
    with time_machine.travel(dt.datetime(2026, 12, 6, 17, tzinfo=UTC), tick=False):
        assert "1 unsubmitted form(s) checked; new alerts: 1 due soon, 0 overdue" in _run()
        assert "0 due soon, 0 overdue" in _run()  # idempotent
    (warning,) = _alerts()
    assert warning.severity == Severity.WARNING
    assert warning.patient_id == session.patient_id
    assert warning.clinic_id == session.clinic_id
    assert warning.source_id == f"{form.pk}:due_soon"
    assert "2 day(s) left" in warning.detail
    with time_machine.travel(dt.datetime(2026, 12, 8, 23, tzinfo=UTC), tick=False):
        _run()  # the deadline day itself (18:00 in New York): due, not overdue
        assert len(_alerts()) == 1
    with time_machine.travel(dt.datetime(2026, 12, 9, 17, tzinfo=UTC), tick=False):
        assert "0 due soon, 1 overdue" in _run()
        assert "0 due soon, 0 overdue" in _run()
    critical = _alerts()[-1]
    assert critical.severity == Severity.CRITICAL
    assert critical.source_id == f"{form.pk}:overdue"
    assert "overdue" in critical.title
    assert AuditEvent.objects.filter(event_type="alert.raised").count() == 2


def test_submitted_forms_raise_nothing(esk_version, enrol, prescriber) -> None:
    course = enrol(esk_version)
    session = course.sessions.order_by("number").first()
    _form(
        session,
        dt.date(2026, 12, 1),
        submitted_at=timezone.now(),
        submitted_by=prescriber.user,
        confirmation_number="C-1",
    )
    with time_machine.travel(dt.datetime(2026, 12, 20, 17, tzinfo=UTC), tick=False):
        assert "0 unsubmitted form(s) checked" in _run()
    assert _alerts() == []


def test_forms_of_two_clinics_alert_in_their_own_clinic(
    esk_version, enrol, outsider, make_patient
) -> None:
    from ketaclinic.treatment.services import course_enrol, protocol_copy_from_library

    north = enrol(esk_version).sessions.order_by("number").first()
    south_version = protocol_copy_from_library(
        by=_south_admin(outsider), library_code="esketamine_trd"
    )
    south_patient = make_patient(outsider)
    testing.clear_for_course(outsider, south_patient, south_version)
    south_course = course_enrol(
        by=outsider,
        patient=south_patient,
        version=south_version,
        decision_note="TRD",
        start_date=timezone.now().date(),
        session_time=dt.time(9, 0),
    )
    south = south_course.sessions.order_by("number").first()
    assert north is not None and south is not None
    _form(north, dt.date(2026, 12, 1))
    _form(south, dt.date(2026, 11, 20))
    with time_machine.travel(dt.datetime(2026, 12, 6, 17, tzinfo=UTC), tick=False):
        assert "2 unsubmitted form(s) checked; new alerts: 1 due soon, 1 overdue" in _run()
    by_clinic = {a.clinic_id: a.severity for a in _alerts()}
    assert by_clinic == {north.clinic_id: Severity.WARNING, south.clinic_id: Severity.CRITICAL}


def _south_admin(outsider: Any) -> Any:
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.services import membership_grant, user_create
    from ketaclinic.testing import PASSWORD

    user = user_create(
        by=None, username="south-admin", password=PASSWORD, first_name="S", last_name="Admin"
    )
    return membership_grant(by=None, user=user, clinic=outsider.clinic, role=Role.CLINIC_ADMIN)
