"""The daily job that turns overdue surveillance items into alerts on the clinic's alert list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.alerts.models import Alert, AlertKind
from ketaclinic.ops.models import JobRun
from ketaclinic.ops.runner import execute, job_enqueue
from ketaclinic.surveillance.reminders import surveillance_due_alerts
from ketaclinic.treatment.services import course_enrol

pytestmark = pytest.mark.django_db


def _overdue_patient(prescriber: Any, clinic_admin: Any, make_patient: Any, weeks: int) -> Any:
    clinic = prescriber.clinic
    today = timezone.now().astimezone(clinic.tzinfo).date()
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    patient = make_patient(prescriber)
    testing.clear_for_course(prescriber, patient, version)
    course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note="Screened; TRD.",
        start_date=today - dt.timedelta(weeks=weeks),
        history=True,
        session_time=dt.time(9, 0),
    )
    return patient


def test_an_overdue_item_raises_one_alert_however_often_the_job_runs(
    prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    patient = _overdue_patient(prescriber, clinic_admin, make_patient, weeks=8)
    first = surveillance_due_alerts()
    assert first.raised >= 1 and first.raised == first.overdue
    alerts = Alert.objects.filter(kind=AlertKind.SURVEILLANCE, patient=patient)
    assert alerts.count() == first.raised
    alert = alerts.first()
    assert alert is not None and alert.title.endswith("overdue")
    assert alert.clinic_id == prescriber.clinic_id and "Due on" in alert.detail
    again = surveillance_due_alerts()
    assert again.raised == 0 and again.overdue == first.overdue
    assert Alert.objects.filter(kind=AlertKind.SURVEILLANCE).count() == first.raised


def test_a_patient_with_nothing_overdue_gets_no_alert(
    prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    _overdue_patient(prescriber, clinic_admin, make_patient, weeks=0)
    result = surveillance_due_alerts()
    assert result.overdue == 0 and result.raised == 0
    assert not Alert.objects.filter(kind=AlertKind.SURVEILLANCE).exists()


def test_the_worker_runs_the_reminders_as_the_daily_job(
    prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    patient = _overdue_patient(prescriber, clinic_admin, make_patient, weeks=8)
    run = job_enqueue(name="surveillance_due", key="2026-12-01")
    assert run is not None
    execute(run.pk)
    run = JobRun.objects.get(pk=run.pk)
    assert run.status == "succeeded", run.status
    assert "new alert(s)" in run.summary
    assert Alert.objects.filter(kind=AlertKind.SURVEILLANCE, patient=patient).exists()


def _rerun_queries() -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = surveillance_due_alerts()
    assert result.raised == 0
    return len(ctx.captured_queries)


def test_the_job_asks_a_fixed_number_of_queries_however_many_items_are_overdue(
    prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    _overdue_patient(prescriber, clinic_admin, make_patient, weeks=30)
    first = surveillance_due_alerts()
    few = _rerun_queries()
    for _ in range(5):
        _overdue_patient(prescriber, clinic_admin, make_patient, weeks=30)
    more = surveillance_due_alerts()
    assert more.overdue >= 6 * 2 and more.overdue > first.overdue
    assert more.raised == more.overdue - first.overdue
    # The same queries with one overdue patient as with six (the old job asked once per item).
    assert _rerun_queries() == few


def test_an_item_done_then_overdue_again_raises_one_new_alert_for_its_new_due_date(
    prescriber: Any, clinic_admin: Any, make_patient: Any
) -> None:
    import time_machine

    from ketaclinic.surveillance.rules.due import ItemKind
    from ketaclinic.surveillance.services import surveillance_mark_in_error, surveillance_record

    patient = _overdue_patient(prescriber, clinic_admin, make_patient, weeks=30)
    surveillance_due_alerts()
    urinary = Alert.objects.filter(
        kind=AlertKind.SURVEILLANCE, patient=patient, source_id__contains=":urinary:"
    )
    assert urinary.count() == 1
    today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
    record = surveillance_record(
        by=prescriber, patient=patient, kind=ItemKind.URINARY, done_on=today, result="normal"
    )
    assert surveillance_due_alerts().raised == 0  # done: not overdue, nothing new
    assert urinary.count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(weeks=13)):
        again = surveillance_due_alerts()
        assert urinary.count() == 2  # overdue again: one alert for the new due date
        assert surveillance_due_alerts().raised == 0
        assert urinary.count() == 2
        assert again.raised >= 1
    # The record entered in error: the item is due on its old date again, already alerted.
    surveillance_mark_in_error(by=prescriber, record=record, reason="Wrong patient's result.")
    assert surveillance_due_alerts().raised == 0
    assert urinary.count() == 2
