"""Treatment pages through the test client: the chair board, the session page, REMS pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.treatment.models import TreatmentSession
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


def test_the_board_lists_todays_sessions_with_what_is_due(nurse, esk_version, checked, login):
    session = checked(esk_version)
    client = login(nurse)
    response = client.get(reverse("treatment:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 15s"' in html
    assert session.patient.family_name in html
    assert "Pre-dose" in html
    partial = client.get(reverse("treatment:board_rows"), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()


def test_overdue_items_turn_red_on_the_board(nurse, esk_version, checked, login):
    session = checked(esk_version, vitals_minutes_ago=70)
    esk_dose(nurse, session, minutes_ago=60)
    client = login(nurse)
    html = client.get(reverse("treatment:board_rows")).content.decode()
    assert "state-overdue" in html
    assert "Overdue: Blood pressure at 40 min" in html


def test_the_session_page_walks_checklist_to_dose(nurse, iv_version, today_session, login):
    session = today_session(iv_version)
    testing.answer_pre_session_scales(nurse, session)
    client = login(nurse)
    url = reverse("treatment:session", kwargs={"session_id": session.pk})
    assert client.get(url).status_code == 200
    client.post(reverse("treatment:check_in", kwargs={"session_id": session.pk}), {"chair": "C2"})
    checklist = {
        "fasting_confirmed": "on",
        "ride_home_confirmed": "on",
        "pregnancy_status": "not_applicable",
        "scales_reviewed": "on",
        "systolic_mmhg": "124",
        "diastolic_mmhg": "78",
        "heart_rate": "70",
        "spo2": "98",
        "respiratory_rate": "15",
        "moaa_s": "5",
    }
    response = client.post(
        reverse("treatment:checklist", kwargs={"session_id": session.pk}), checklist
    )
    assert response.status_code == 302
    dose_url = reverse("treatment:dose", kwargs={"session_id": session.pk})
    expiry = (timezone.now() + dt.timedelta(days=90)).date().isoformat()
    form = {
        "amount": "0.5",
        "concentration_mg_per_ml": "10",
        "iv_container": "syringe",
        "iv_final_concentration_mg_per_ml": "1",
        "product": "Ketamine HCl 10 mg/mL",
        "lot_number": "K-9",
        "expiry_date": expiry,
    }
    preview = client.post(dose_url, {**form, "action": "preview"}).content.decode()
    # 3.5 mL of 10 mg/mL made up to 35 mL at 1 mg/mL: 52.5 mL/h over 40 min.
    assert "52.5 mL/h" in preview and "3.5 mL" in preview and "35 mL at 1 mg/mL" in preview
    assert "decision support: check before use" in preview
    assert client.post(dose_url, {**form, "action": "record"}).status_code == 302
    page = client.get(url).content.decode()
    assert "52.5 mL/h" in page
    session.refresh_from_db()
    assert session.dose_started_at is not None


def test_an_impossible_reading_is_shown_beside_the_field(nurse, esk_version, checked, login):
    session = checked(esk_version)
    client = login(nurse)
    response = client.post(
        reverse("treatment:observation", kwargs={"session_id": session.pk}),
        {"code": "spo2", "value": "104"},
    )
    assert response.status_code == 200
    assert "SpO2: allowed 1-100" in response.content.decode()


def test_the_patient_chart_has_a_treatment_section(prescriber, esk_version, enrol, login):
    course = enrol(esk_version)
    client = login(prescriber)
    html = client.get(reverse("patients:detail", kwargs={"pk": course.patient_id})).content.decode()
    assert 'id="treatment"' in html
    assert reverse("treatment:course", kwargs={"course_id": course.pk}) in html


def test_protocol_pages_link_to_predicted_exposure(clinic_admin, esk_version, login):
    client = login(clinic_admin)
    url = reverse("treatment:protocol", kwargs={"protocol_id": esk_version.family_id})
    html = client.get(url).content.decode()
    assert f"/exposure/version/{esk_version.pk}/?weight=" in html
    assert "DailyMed" in html


def test_the_protocol_form_refuses_an_invalid_protocol_beside_its_field(clinic_admin, login):
    client = login(clinic_admin)
    from ketaclinic.treatment.domain.library import ESKETAMINE_TRD
    from ketaclinic.treatment.protocol_forms import ProtocolForm

    data = {
        k: str(v) for k, v in ProtocolForm.initial_from(ESKETAMINE_TRD).items() if v is not None
    }
    data.update(
        start_from="esketamine_trd",
        loaded_from="esketamine_trd",
        code="esk_fast",
        min_observation_minutes="90",
        change_note="x",
    )
    response = client.post(reverse("treatment:protocol_create"), data)
    assert response.status_code == 200
    assert "esketamine needs at least 120 minutes" in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_home_shows_the_treatment_panels(prescriber, login):
    html = login(prescriber).get(reverse("home")).content.decode()
    assert "Today&#x27;s sessions" in html or "Today's sessions" in html
    assert "REMS forms due" in html
    assert "Decisions waiting" in html


def test_the_missed_session_guidance_is_shown_where_marked_on_the_course_and_session(
    nurse, prescriber, esk_version, iv_version, enrol, login
) -> None:
    from ketaclinic.treatment.domain.schedule import MISSED_SESSION_GUIDANCE

    course = enrol(esk_version)
    session = course.sessions.order_by("number").first()
    course_url = reverse("treatment:course", args=[course.pk])
    client = login(prescriber)
    before = client.get(course_url).content.decode()
    assert 'id="missed-guidance"' in before
    assert "keep the current treatment schedule" in before
    response = client.post(
        reverse("treatment:session_miss", kwargs={"session_id": session.pk}),
        {"reason": "Unwell, stayed home"},
        follow=True,
    )
    html = response.content.decode()
    messages = [str(m) for m in response.context["messages"]]
    assert MISSED_SESSION_GUIDANCE in messages  # where it is marked missed
    assert 'class="guidance alert-banner"' in html  # highlighted on the course page
    page = client.get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    assert "keep the current treatment schedule" in page.content.decode()
    iv_course = enrol(iv_version, start_date=timezone.now().date() + dt.timedelta(days=60))
    iv_html = client.get(reverse("treatment:course", args=[iv_course.pk])).content.decode()
    assert "no label guidance exists for racemic ketamine" in iv_html


def _reading_url(session: TreatmentSession) -> str:
    return reverse("treatment:observation", kwargs={"session_id": session.pk})


def test_a_reading_posted_with_htmx_comes_back_as_its_row_with_the_recorder(
    nurse, esk_version, checked, login
):
    session = checked(esk_version, vitals_minutes_ago=30)
    esk_dose(nurse, session, minutes_ago=20)
    client = login(nurse)
    response = client.post(
        _reading_url(session), {"code": "heart_rate", "value": "131"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 201
    row = response.content.decode()
    assert "131 /min" in row and nurse.user.display_name in row
    assert "<strong" in row  # a heart rate of 131 raises the protocol's alert, shown in the row
    assert session.observations.filter(code="heart_rate", value=131).count() == 1


def test_a_valid_reading_for_another_clinics_session_is_a_404_and_writes_nothing(
    outsider, esk_version, checked, login
):
    session = checked(esk_version)
    before = session.observations.count()
    client = login(outsider)
    response = client.post(_reading_url(session), {"code": "heart_rate", "value": "70"})
    assert response.status_code == 404
    assert session.observations.count() == before


def test_a_valid_reading_from_a_role_that_cannot_administer_is_a_403_and_writes_nothing(
    front_desk, esk_version, checked, login
):
    session = checked(esk_version)
    before = session.observations.count()
    client = login(front_desk)
    response = client.post(_reading_url(session), {"code": "heart_rate", "value": "70"})
    assert response.status_code == 403
    assert session.observations.count() == before


def test_a_reading_row_shows_its_time_in_the_clinic_zone_with_the_page_headers(
    nurse, esk_version, checked, login
):
    """The htmx row renders without a request context (issue 15: none of the layout's context
    processors run for it), yet still inside the clinic's time zone, and the 201 carries the
    same security and privacy headers as any page."""
    session = checked(esk_version, vitals_minutes_ago=30)
    esk_dose(nurse, session, minutes_ago=20)
    client = login(nurse)
    response = client.post(
        _reading_url(session), {"code": "heart_rate", "value": "97"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 201
    obs = session.observations.get(code="heart_rate", value=97)
    local = timezone.localtime(obs.measured_at, nurse.clinic.tzinfo)
    assert local.utcoffset() != dt.timedelta(0)  # the test clinic is not on UTC
    assert f"{local:%H:%M} {local:%Z}" in response.content.decode()
    assert "<nav" not in response.content.decode()
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]
