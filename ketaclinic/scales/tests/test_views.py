"""Scales pages: entering, correcting, FHIR download, chart section, outcomes, licensed text."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.alerts.models import Alert
from ketaclinic.scales import services
from ketaclinic.scales.models import LicensedScaleText, ResponseStatus, ScaleResponse

pytestmark = pytest.mark.django_db

MADRS_TEXT = {
    "scale": "madrs",
    "version": "1",
    "language": "en-GB",
    "items": [{"id": str(i), "text": f"Licensed MADRS wording {i}"} for i in range(1, 11)],
}


def _phq9_post(values: list[int], when: str = "2024-03-01T09:30") -> dict[str, str]:
    data = {f"item_{i + 1}": str(v) for i, v in enumerate(values)}
    data["effective_at"] = when
    return data


@pytest.fixture
def patient(prescriber, make_patient):
    return make_patient(prescriber, given_name="Nora", family_name="Northway")


def test_a_nurse_chooses_a_scale_and_enters_it_in_clinic_time(nurse, patient, login) -> None:
    client = login(nurse)
    url = reverse("scales:enter", args=[patient.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Scale" in page.content
    form = client.get(url, {"code": "phq9"})
    assert b"Little interest or pleasure" in form.content
    assert b'type="radio"' in form.content
    response = client.post(
        url + "?code=phq9", _phq9_post([2, 2, 2, 2, 2, 2, 2, 2, 0], "2024-03-01T09:30")
    )
    saved = ScaleResponse.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scales:detail", args=[saved.pk])
    assert saved.total == 16
    # 09:30 in New York (EST, UTC-5) is 14:30 UTC.
    assert saved.effective_at == datetime.datetime(2024, 3, 1, 14, 30, tzinfo=datetime.UTC)


def test_a_missing_answer_is_shown_next_to_its_item(nurse, patient, login) -> None:
    client = login(nurse)
    data = _phq9_post([1] * 9)
    del data["item_4"]
    page = client.post(reverse("scales:enter", args=[patient.pk]) + "?code=phq9", data)
    assert page.status_code == 200
    form = page.context["form"]
    assert list(form.errors) == ["item_4"]
    assert not ScaleResponse.objects.exists()


def test_a_licensed_scale_shows_numbers_only_until_the_clinic_loads_its_text(
    nurse, clinic_admin, clinic, patient, login
) -> None:
    client = login(nurse)
    url = reverse("scales:enter", args=[patient.pk])
    page = client.get(url, {"code": "madrs"})
    assert b"Item 1" in page.content
    assert b"has not loaded its licensed wording" in page.content
    assert b"Licensed MADRS wording" not in page.content
    services.scale_text_load(by=clinic_admin, clinic=clinic, data=MADRS_TEXT)
    page = client.get(url, {"code": "madrs"})
    assert b"Licensed MADRS wording 1" in page.content
    assert b"has not loaded" not in page.content


def test_front_desk_cannot_enter_scales(front_desk, patient, login) -> None:
    client = login(front_desk)
    url = reverse("scales:enter", args=[patient.pk]) + "?code=phq9"
    assert client.get(url).status_code == 403
    assert client.post(url, _phq9_post([1] * 9)).status_code == 403


def test_detail_fhir_and_correction(nurse, patient, login) -> None:
    response = services.scale_response_record(
        by=nurse,
        patient=patient,
        code="phq9",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 1],
        effective_at=timezone.now(),
    )
    client = login(nurse)
    page = client.get(reverse("scales:detail", args=[response.pk]))
    assert page.status_code == 200 and b"suicidal_ideation" in page.content
    download = client.get(reverse("scales:fhir", args=[response.pk]))
    assert download["Content-Type"] == "application/fhir+json"
    bundle = json.loads(download.content)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "QuestionnaireResponse" and "Observation" in kinds
    assert bundle["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{patient.pk}"
    codes = {
        c["code"]
        for e in bundle["entry"][1:]
        for c in e["resource"]["code"]["coding"]
        if c["system"] == "http://loinc.org"
    }
    assert {"44261-6", "44260-8"} <= codes

    data = {f"item_{i}": "0" for i in range(1, 10)}
    data["reason"] = "Entered for the wrong visit"
    corrected = client.post(reverse("scales:amend", args=[response.pk]), data)
    new = ScaleResponse.objects.get(amends=response)
    assert corrected["Location"] == reverse("scales:detail", args=[new.pk])
    response.refresh_from_db()
    assert response.status == ResponseStatus.AMENDED
    old_page = client.get(reverse("scales:detail", args=[response.pk]))
    assert b"This version was corrected" in old_page.content


def test_the_patient_chart_shows_a_trajectory_with_a_table(nurse, patient, login) -> None:
    now = timezone.now()
    for days_ago, total in ((28, 20), (21, 14), (14, 9), (7, 4)):
        answers = [min(3, max(0, total - 3 * i)) for i in range(9)]
        answers[8] = 0
        services.scale_response_record(
            by=nurse,
            patient=patient,
            code="phq9",
            answers=answers,
            effective_at=now - datetime.timedelta(days=days_ago),
        )
    page = login(nurse).get(reverse("patients:detail", args=[patient.pk]))
    html = page.content.decode()
    assert "Rating scales" in html
    assert html.count('class="point') == 4
    assert "Remission" in html
    assert "-80%" in html  # 20 -> 4
    assert "style=" not in html.split('id="scales-heading"')[1]


def test_trajectories_accept_session_markers(nurse, patient) -> None:
    from ketaclinic.scales.selectors import patient_trajectories

    now = timezone.now()
    for days_ago in (10, 3):
        services.scale_response_record(
            by=nurse,
            patient=patient,
            code="gad7",
            answers=[2] * 7,
            effective_at=now - datetime.timedelta(days=days_ago),
        )
    sessions = [now - datetime.timedelta(days=9), now - datetime.timedelta(days=5)]
    (gad,) = patient_trajectories(membership=nurse, patient=patient, session_times=sessions)
    chart = gad.chart
    assert len(chart.sessions) == 2
    assert chart.plot_left <= chart.sessions[0] < chart.sessions[1] <= chart.plot_right


def test_the_outcomes_page_shows_rates_with_denominators(nurse, prescriber, make_patient, login):
    now = timezone.now()
    for totals in ((20, 15, 9, 4), (18, 17, 16, 15)):
        p = make_patient(prescriber)
        for n, total in enumerate(totals):
            answers = [min(3, max(0, total - 3 * i)) for i in range(9)]
            answers[8] = 0
            services.scale_response_record(
                by=nurse,
                patient=p,
                code="phq9",
                answers=answers,
                effective_at=now - datetime.timedelta(days=30 - 7 * n),
            )
    page = login(prescriber).get(reverse("scales:outcomes"))
    assert page.status_code == 200
    phq = page.context["tables"][0]
    (row,) = phq["rows"]
    assert (row.group, row.patients, row.with_follow_up) == ("All patients", 2, 2)
    session2 = row.cells[0]
    assert (session2.n, session2.responders, session2.remitters) == (2, 1, 0)
    week1 = row.cells[3]
    assert week1.label == "Week 1" and week1.n == 2
    assert b"n=2" in page.content


def test_the_outcomes_page_is_for_clinical_staff(front_desk, login) -> None:
    assert login(front_desk).get(reverse("scales:outcomes")).status_code == 403


def test_a_clinic_admin_uploads_licensed_text(clinic_admin, nurse, login) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("scales:text_load")
    assert login(nurse).get(url).status_code == 403
    client = login(clinic_admin)
    bad = SimpleUploadedFile("x.json", b'{"scale": "phq9"}', content_type="application/json")
    page = client.post(url, {"file": bad})
    assert page.status_code == 200
    assert page.context["form"].errors["file"]
    good = SimpleUploadedFile("madrs.json", json.dumps(MADRS_TEXT).encode())
    assert client.post(url, {"file": good}).status_code == 302
    assert LicensedScaleText.objects.get().code == "madrs"


def test_the_load_text_command(clinic, tmp_path, capsys) -> None:
    path = tmp_path / "madrs.json"
    path.write_text(json.dumps(MADRS_TEXT))
    with pytest.raises(CommandError, match="no clinic"):
        call_command("scales", "load-text", str(path), "--clinic", "nowhere")
    call_command("scales", "load-text", str(path), "--clinic", clinic.code)
    assert "Loaded licensed text for madrs" in capsys.readouterr().out
    path.write_text(json.dumps({**MADRS_TEXT, "items": MADRS_TEXT["items"][:9]}))
    with pytest.raises(CommandError, match="lacks item"):
        call_command("scales", "load-text", str(path), "--clinic", clinic.code)


def test_home_shows_scale_alerts_and_waiting_links(nurse, patient, login) -> None:
    services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=[1] * 9, effective_at=timezone.now()
    )
    services.self_report_link_create(by=nurse, patient=patient, codes=["gad7"])
    page = login(nurse).get(reverse("home"))
    html = page.content.decode()
    assert "Critical: Suicidal ideation reported" in html
    assert "Self-report links awaiting answers: 1" in html
    assert Alert.objects.count() == 1


def test_the_outsider_gets_404_for_north_responses(nurse, outsider, patient, login) -> None:
    response = services.scale_response_record(
        by=nurse, patient=patient, code="phq9", answers=[0] * 9, effective_at=timezone.now()
    )
    client = login(outsider)
    for name in ("scales:detail", "scales:fhir", "scales:amend"):
        assert client.get(reverse(name, args=[response.pk])).status_code == 404
    for name in ("scales:enter", "scales:link_send"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404
