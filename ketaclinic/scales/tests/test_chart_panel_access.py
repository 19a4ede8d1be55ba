"""Scale totals on the patient chart are clinical: the front desk and the clinic admin see that
the section is withheld, not the numbers (issue 10, finding 10; issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.scales import get_definition
from ketaclinic.scales.services import scale_response_record


@pytest.fixture
def scored_patient(nurse, make_patient):
    patient = make_patient(nurse)
    definition = get_definition("phq9")
    for days_ago, value in ((14, 3), (1, 1)):
        answers = [None if item.asked_when else value for item in definition.items]
        scale_response_record(
            by=nurse,
            patient=patient,
            code="phq9",
            answers=answers,
            effective_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    return patient


def _chart(client, patient) -> str:
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_non_clinical_roles_see_no_scale_totals_on_the_chart(role, request, login, scored_patient):
    html = _chart(login(request.getfixturevalue(role)), scored_patient)
    assert "Rating scale results are shown to clinical staff only." in html
    assert 'class="trajectory"' not in html
    assert "Baseline" not in html
    assert reverse("scales:enter", args=[scored_patient.pk]) not in html


@pytest.mark.parametrize("role", ["nurse", "prescriber"])
def test_clinical_roles_see_the_trajectory(role, request, login, scored_patient):
    html = _chart(login(request.getfixturevalue(role)), scored_patient)
    assert 'class="trajectory"' in html
    assert "PHQ-9" in html
    assert "Rating scale results are shown to clinical staff only." not in html
