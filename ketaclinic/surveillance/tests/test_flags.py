"""A misuse indicator from real records: a session brought forward shows to the prescriber as a
flag with its reason, and not to the nurse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.treatment.services import course_enrol, session_move

pytestmark = pytest.mark.django_db


def test_a_session_brought_forward_is_a_flag_with_its_reason_for_the_prescriber(
    prescriber: Any, nurse: Any, clinic_admin: Any, make_patient: Any, login: Any
) -> None:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    patient = make_patient(prescriber)
    testing.clear_for_course(prescriber, patient, version)
    tz = prescriber.clinic.tzinfo
    course = course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note="Screened; TRD.",
        start_date=timezone.now().astimezone(tz).date(),
        session_time=dt.time(9, 0),
    )
    last = course.sessions.order_by("-number").first()
    assert last is not None
    day = last.scheduled_at.astimezone(tz).date()
    url = reverse("surveillance:patient", kwargs={"pk": patient.pk})
    assert "Sessions brought forward" not in login(prescriber).get(url).content.decode()
    for back in range(1, 7):  # the first earlier day the calendar accepts (opening days, spacing)
        try:
            session_move(
                by=nurse,
                session=last,
                new_date=day - dt.timedelta(days=back),
                reason="Patient asked to come sooner",
            )
            break
        except ValidationError:
            continue
    else:
        pytest.fail("no earlier day accepted the session")
    html = login(prescriber).get(url).content.decode()
    assert "Sessions brought forward" in html
    assert f"{day.isoformat()} moved" in html  # the clinic's date of the original session
    assert "Patient asked to come sooner" in html
    assert "Sessions brought forward" not in login(nurse).get(url).content.decode()
