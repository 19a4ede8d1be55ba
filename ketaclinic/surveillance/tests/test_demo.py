"""The demo's patient with an overdue surveillance item, made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.surveillance import selectors
from ketaclinic.surveillance.demo import MRN, seed_clinic
from ketaclinic.surveillance.rules.due import DEFAULT_POLICY, ItemKind
from ketaclinic.treatment.services import course_enrol

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_one_patient_overdue_and_seeds_once(
    prescriber: Any, nurse: Any, clinic_admin: Any, make_patient: Any, login: Any
) -> None:
    clinic = prescriber.clinic
    today = timezone.now().astimezone(clinic.tzinfo).date()
    # Another patient already in a course that began eight weeks ago: overdue before the demo.
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    other = make_patient(prescriber)
    testing.clear_for_course(prescriber, other, version)
    course_enrol(
        by=prescriber,
        patient=other,
        version=version,
        decision_note="Screened; TRD.",
        start_date=today - dt.timedelta(weeks=8),
        history=True,
        session_time=dt.time(9, 0),
    )
    assert selectors.overdue_items(clinic_id=clinic.pk, today=today, policy=DEFAULT_POLICY)

    lines: list[str] = []
    assert seed_clinic(clinic, lines.append) is True
    overdue = selectors.overdue_items(clinic_id=clinic.pk, today=today, policy=DEFAULT_POLICY)
    assert [(r.patient.mrn, r.item.kind) for r in overdue] == [(MRN, ItemKind.BENEFIT_REVIEW)]
    assert seed_clinic(clinic, lines.append) is False
    assert lines == [f"Surveillance demo: {MRN} Uma Overdue has an overdue review of benefit."]
    html = login(prescriber).get(reverse("surveillance:safety")).content.decode()
    assert "Overdue surveillance items (1)" in html and "Overdue, Uma" not in html
    assert "Uma" in html
