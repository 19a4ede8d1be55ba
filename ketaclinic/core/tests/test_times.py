"""Times on pages are in the clinic's zone and say which zone (issue 14, finding 5)."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.test import Client
from django.urls import reverse

from ketaclinic.alerts import services as alerts
from ketaclinic.alerts.models import AlertKind, Severity
from ketaclinic.scales import services as scales

# 2027-01-15 19:05 UTC is 14:05 in New York (EST, UTC-5), the test clinic's zone.
WHEN = dt.datetime(2027, 1, 15, 19, 5, tzinfo=dt.UTC)


def test_a_staff_page_shows_the_clinic_local_time_with_its_abbreviation(
    prescriber, login, make_patient
) -> None:
    assert prescriber.clinic.time_zone == "America/New_York"
    patient = make_patient(prescriber)
    with time_machine.travel(WHEN, tick=False):
        alerts.alert_raise(
            by=prescriber,
            clinic_id=prescriber.clinic_id,
            kind=AlertKind.OTHER,
            severity=Severity.WARNING,
            title="Check the log",
            patient=patient,
        )
    html = login(prescriber).get(reverse("alerts:list")).content.decode()
    assert "2027-01-15 14:05 EST" in html
    assert "19:05" not in html


def test_a_clinic_in_another_zone_sees_its_own_time(prescriber, login, make_patient) -> None:
    clinic = prescriber.clinic
    clinic.time_zone = "Europe/Berlin"
    clinic.save(update_fields=["time_zone"])
    patient = make_patient(prescriber)
    with time_machine.travel(WHEN, tick=False):
        alerts.alert_raise(
            by=prescriber,
            clinic_id=prescriber.clinic_id,
            kind=AlertKind.OTHER,
            severity=Severity.WARNING,
            title="Check the log",
            patient=patient,
        )
    html = login(prescriber).get(reverse("alerts:list")).content.decode()
    assert "2027-01-15 20:05 CET" in html


def test_the_patient_sees_the_link_expiry_in_the_clinic_zone(nurse, make_patient) -> None:
    patient = make_patient(nurse)
    with time_machine.travel(WHEN, tick=False):
        _link, token = scales.self_report_link_create(by=nurse, patient=patient, codes=["phq9"])
        html = Client().get(reverse("scales:self_report", args=[token])).content.decode()
    # 72 hours later: 2027-01-18 19:05 UTC, 14:05 EST.
    assert re.search(r"until 2027-01-18 14:05 EST", html), html[:2000]
    assert "UTC" not in html


def test_no_staff_page_template_labels_a_time_utc() -> None:
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(p.relative_to(templates))
        for p in templates.rglob("*.html")
        if re.search(r"\}\}\s*UTC", p.read_text())
    ]
    assert not offenders, f"times labelled UTC by hand (use |at): {offenders}"


def test_a_locked_out_page_says_how_long_in_words() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("accounts/locked_out.html", {"cooloff_time": "PT15M"})
    assert "Try again in 15 minutes" in html
    assert "PT15M" not in html
