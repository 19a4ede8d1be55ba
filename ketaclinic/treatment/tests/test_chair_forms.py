"""Issue 14, findings 4 and the chair: forms show their errors with their section open, nothing
pre-selects a clinical answer, a due monitoring row opens its entry with the time prefilled."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ketaclinic.treatment.models import AdverseEvent
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


def _selected(html: str, name: str) -> str | None:
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else None


def test_the_adverse_event_form_preselects_no_clinical_answer(
    nurse, esk_version, checked, login
) -> None:
    session = checked(esk_version)
    client = login(nurse)
    html = client.get(reverse("treatment:session", kwargs={"session_id": session.pk})).content
    page = html.decode()
    for name in ("event_type", "severity", "outcome"):
        # A browser shows the first option when none is selected: it must be the blank one.
        select = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        first = re.search(r'<option value="([^"]*)"', select)
        assert first is not None and first.group(1) == "", name
        assert _selected(page, name) in (None, ""), name


def test_a_failed_adverse_event_reopens_its_section_with_every_error(
    nurse, esk_version, checked, login
) -> None:
    session = checked(esk_version)
    client = login(nurse)
    response = client.post(
        reverse("treatment:adverse_event", kwargs={"session_id": session.pk}),
        {"event_type": "", "severity": "", "outcome": "", "action_taken": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<details id="adverse-event" open>' in page
    section = page.split('<details id="adverse-event" open>', 1)[1].split("</details>", 1)[0]
    assert section.count("This field is required") == 4  # type, severity, outcome, action
    assert not AdverseEvent.objects.filter(session=session).exists()


def test_a_due_monitoring_row_opens_its_entry_with_the_time_prefilled(
    nurse, esk_version, checked, login
) -> None:
    session = checked(esk_version, vitals_minutes_ago=70)
    esk_dose(nurse, session, minutes_ago=60)
    client = login(nurse)
    url = reverse("treatment:session", kwargs={"session_id": session.pk})
    page = client.get(url).content.decode()
    links = re.findall(r'class="record-now" href="([^"]+)"', page)
    assert links, "an overdue row offers one tap to record it"
    link = links[0].replace("&amp;", "&")
    assert "?record=" in link
    code = link.split("?record=", 1)[1].split("#", 1)[0]
    opened = client.get(link).content.decode()
    assert 'id="prefilled-note"' in opened
    assert _selected(opened, "code") == code
    measured = opened.split('name="measured_at"', 1)[1].split(">", 1)[0]
    assert 'value="' in measured  # the time is filled in (as now)


def test_the_session_page_draws_a_vitals_chart_with_a_legend(
    nurse, esk_version, checked, login
) -> None:
    session = checked(esk_version)
    client = login(nurse)
    page = client.get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    html = page.content.decode()
    chart = html.split('id="vitals-chart"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<polyline") == 4  # systolic, diastolic, heart rate, SpO2
    assert "Systolic BP (mmHg) (solid line)" in html
