"""Treatment sessions anchor the rating-scale outcomes and mark the patient's scale charts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from ketaclinic.scales.services import scale_response_record
from ketaclinic.treatment.selectors import dosed_session_times, outcome_courses
from ketaclinic.treatment.tests.conftest import esk_dose


def test_courses_group_patients_by_indication_and_protocol_with_their_dose_times(
    nurse, esk_version, checked
) -> None:
    session = checked(esk_version)
    esk_dose(nurse, session)
    session.refresh_from_db()
    courses = outcome_courses(clinic_id=nurse.clinic_id)
    title = esk_version.family.title
    assert courses.groups["Treatment-resistant depression"] == [session.patient_id]
    assert courses.groups[f"Treatment-resistant depression · {title}"] == [session.patient_id]
    assert courses.session_times[session.patient_id] == [session.dose_started_at]
    assert dosed_session_times(patient=session.patient) == [session.dose_started_at]


def test_the_outcomes_page_shows_a_group_per_protocol(
    nurse, prescriber, esk_version, checked, login
) -> None:
    session = checked(esk_version)
    esk_dose(nurse, session)
    scale_response_record(
        by=nurse,
        patient=session.patient,
        code="phq9",
        answers=[2] * 9,
        effective_at=timezone.now() - dt.timedelta(days=1),
    )
    page = login(prescriber).get(reverse("scales:outcomes")).content.decode()
    assert "Treatment-resistant depression · " in page
    assert esk_version.family.title in page


def test_the_scale_chart_marks_the_dosed_sessions(nurse, esk_version, checked, login) -> None:
    session = checked(esk_version)
    esk_dose(nurse, session)
    for days in (3, 1):
        scale_response_record(
            by=nurse,
            patient=session.patient,
            code="phq9",
            answers=[1] * 9,
            effective_at=timezone.now() - dt.timedelta(days=days),
        )
    response = login(nurse).get(reverse("patients:detail", args=[session.patient_id]))
    # The PHQ-9's chart (the C-SSRS answered before the session has its own).
    (trajectory,) = [t for t in response.context["scale_trajectories"] if t.code == "phq9"]
    assert len(trajectory.chart.sessions) == 1


def test_the_session_page_lists_the_protocols_scales_and_links_back_after_entry(
    nurse, esk_version, today_session, login
) -> None:
    session = today_session(esk_version)
    client = login(nurse)
    url = reverse("treatment:session", args=[session.pk])
    page = client.get(url)
    names = [s.code for s in page.context["pre_session_scales"]]
    assert names == list(esk_version.protocol.pre_session_scales)
    assert all(s.response is None for s in page.context["pre_session_scales"])
    assert "enter the PHQ-9 now" in page.content.decode()  # words, not the code (issue 14)

    enter = reverse("scales:enter", args=[session.patient_id]) + f"?code=phq9&next={url}"
    answers = {f"item_{i}": "1" for i in range(1, 10)}
    local_now = timezone.now().astimezone(nurse.clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")
    response = client.post(enter, {**answers, "effective_at": local_now})
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    (phq9,) = [s for s in page.context["pre_session_scales"] if s.code == "phq9"]
    assert phq9.response is not None
    assert phq9.response.total == 9


def test_entering_a_scale_never_redirects_off_site(nurse, make_patient, login) -> None:
    patient = make_patient(nurse)
    enter = reverse("scales:enter", args=[patient.pk]) + "?code=phq9&next=https://evil.example/"
    answers = {f"item_{i}": "0" for i in range(1, 10)}
    local_now = timezone.now().astimezone(nurse.clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")
    response = login(nurse).post(enter, {**answers, "effective_at": local_now})
    assert response.status_code == 302
    assert response["Location"].startswith("/scales/")
