"""Issue 14, finding 3: with a checklist box unticked the session is not stuck; the checklist is
recorded again with a reason (earlier answers kept) and its answers show."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic import testing
from ketaclinic.treatment import services
from ketaclinic.treatment.models import PreDoseChecklist
from ketaclinic.treatment.revisions import ChecklistRevision
from ketaclinic.treatment.selectors import dosing_blockers
from ketaclinic.treatment.selectors.signing import session_content

pytestmark = pytest.mark.django_db

_CHECKLIST = {
    "fasting_confirmed": "",
    "ride_home_confirmed": "on",
    "pregnancy_status": "not_applicable",
    "scales_reviewed": "on",
    "nasal_medication_timing_ok": "yes",
    "systolic_mmhg": "124",
    "diastolic_mmhg": "78",
    "heart_rate": "70",
    "spo2": "98",
    "respiratory_rate": "15",
    "moaa_s": "5",
}


def _unticked(nurse: Any, esk_version: Any, today_session: Any, login: Any) -> tuple[Any, Any]:
    session = today_session(esk_version)
    testing.answer_pre_session_scales(nurse, session)
    client = login(nurse)
    client.post(reverse("treatment:check_in", kwargs={"session_id": session.pk}), {})
    client.post(reverse("treatment:checklist", kwargs={"session_id": session.pk}), _CHECKLIST)
    session.refresh_from_db()
    return session, client


def test_an_unticked_box_shows_the_checklist_again_and_no_record_dose(
    nurse, esk_version, today_session, login
) -> None:
    session, client = _unticked(nurse, esk_version, today_session, login)
    assert PreDoseChecklist.objects.get(session=session).fasting_confirmed is False
    html = client.get(reverse("treatment:session", kwargs={"session_id": session.pk})).content
    page = html.decode()
    assert "Fasting is not confirmed" in page
    assert '<details id="checklist-again" open>' in page
    assert 'value="record">Record dose' not in page
    assert 'id="dose-waits"' in page
    # The recorded answers show.
    answers = page.split('id="checklist-answers"', 1)[1].split("</dl>", 1)[0]
    assert "Fasting confirmed</dt><dd>No" in answers
    assert "Ride home confirmed</dt><dd>Yes" in answers


def test_recording_the_checklist_again_needs_a_reason_and_keeps_the_earlier_answers(
    nurse, esk_version, today_session, login
) -> None:
    session, client = _unticked(nurse, esk_version, today_session, login)
    url = reverse("treatment:checklist_again", kwargs={"session_id": session.pk})
    answers = {k: v for k, v in _CHECKLIST.items() if k in services.CHECKLIST_ANSWERS}
    response = client.post(url, {**answers, "fasting_confirmed": "on", "reason": ""})
    assert response.status_code == 200  # the page again, with the error next to the field
    assert "This field is required" in response.content.decode()
    assert not ChecklistRevision.objects.exists()

    response = client.post(
        url, {**answers, "fasting_confirmed": "on", "reason": "Patient confirmed: ate at 06:00"}
    )
    assert response.status_code == 302
    checklist = PreDoseChecklist.objects.get(session=session)
    assert checklist.fasting_confirmed is True
    (revision,) = ChecklistRevision.objects.filter(checklist=checklist)
    assert revision.old_answers["fasting_confirmed"] is False
    assert revision.reason == "Patient confirmed: ate at 06:00"
    session.refresh_from_db()
    assert dosing_blockers(session) == []
    page = client.get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    html = page.content.decode()
    assert 'value="record">Record dose' in html
    assert "Patient confirmed: ate at 06:00" in html
    content = session_content(session)
    assert content["checklist"]["fasting_confirmed"] is True
    assert content["checklist"]["revisions"][0]["old_answers"]["fasting_confirmed"] is False


def test_the_checklist_is_not_recorded_again_after_the_dose(nurse, esk_version, checked) -> None:
    from ketaclinic.treatment.tests.conftest import esk_dose

    session = checked(esk_version)
    esk_dose(nurse, session)
    with pytest.raises(ValidationError, match="dose is recorded"):
        services.checklist_rerecord(
            by=nurse,
            session=session,
            reason="late",
            fasting_confirmed=True,
            ride_home_confirmed=True,
            pregnancy_status="not_applicable",
            scales_reviewed=True,
            nasal_medication_timing_ok=True,
        )


def test_a_signed_record_without_re_recording_hashes_as_before(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    content = session_content(session)
    assert "revisions" not in content["checklist"]
