"""The demo's screening patients: one of each kind, made through the services."""

from __future__ import annotations

import pytest

from ketaclinic.patients.models import Patient
from ketaclinic.screening.demo import seed_clinic
from ketaclinic.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_screens_one_patient_of_each_kind_once(prescriber) -> None:
    lines: list[str] = []
    assert seed_clinic(prescriber.clinic, lines.append, password=PASSWORD) == 4
    outcomes = {}
    for p in Patient.objects.filter(clinic=prescriber.clinic, mrn__startswith="SCR-"):
        decision = p.screenings.get().decision
        outcomes[p.mrn] = (decision.outcome, decision.has_hard_finding, decision.overridden)
    assert outcomes == {
        "SCR-01": ("eligible", False, False),
        "SCR-02": ("precautions", False, False),
        "SCR-03": ("not_eligible", True, False),
        "SCR-04": ("not_eligible", False, True),
    }
    assert seed_clinic(prescriber.clinic, lines.append, password=PASSWORD) == 0
    assert lines == ["Screening demo: 4 patients screened (one of each kind)."]
