"""Fixtures for the Django side of treatment: shipped protocols copied into North Clinic, a
weighed patient, and a session walked to any phase through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic import testing


@pytest.fixture
def esk_version(clinic_admin):
    return testing.shipped_protocol(clinic_admin, "esketamine_trd")


@pytest.fixture
def iv_version(clinic_admin):
    return testing.shipped_protocol(clinic_admin, "iv_racemic_depression")


@pytest.fixture
def weighed_patient(prescriber, make_patient):
    patient = make_patient(prescriber)
    testing.weigh(prescriber, patient, "70", days_ago=2)
    return patient


@pytest.fixture
def enrol(prescriber, weighed_patient) -> Callable[..., Any]:
    from ketaclinic.treatment.services import course_enrol

    def _enrol(version: Any, **kwargs: Any) -> Any:
        today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
        params: dict[str, Any] = {
            "by": prescriber,
            "patient": weighed_patient,
            "version": version,
            "decision_note": "Screened in clinic; TRD after two adequate trials.",
            "start_date": today,
            "session_time": dt.time(9, 0),
            "chair": "Chair 1",
        }
        params.update(kwargs)
        testing.clear_for_course(prescriber, params["patient"], version)
        return course_enrol(**params)

    return _enrol


@pytest.fixture
def today_session(prescriber, weighed_patient) -> Callable[..., Any]:
    """The first session of a new course, rescheduled to now (whatever weekday today is)."""

    def _make(version: Any) -> Any:
        return testing.session_now(prescriber=prescriber, patient=weighed_patient, version=version)

    return _make


@pytest.fixture
def checked(nurse, prescriber, weighed_patient) -> Callable[..., Any]:
    """A session checked in with its checklist recorded (BP 120/80 unless given)."""

    def _make(
        version: Any, systolic: int = 120, diastolic: int = 80, vitals_minutes_ago: int = 15
    ) -> Any:
        return testing.checked_in_session(
            nurse=nurse,
            prescriber=prescriber,
            patient=weighed_patient,
            version=version,
            systolic=systolic,
            diastolic=diastolic,
            vitals_minutes_ago=vitals_minutes_ago,
        )

    return _make


def esk_dose(nurse: Any, session: Any, mg: str = "56", minutes_ago: int = 6) -> Any:
    from ketaclinic.treatment import services

    first = timezone.now() - dt.timedelta(minutes=minutes_ago)
    count = int(Decimal(mg) / 28)
    return services.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal(mg),
        product="Spravato 56 mg kit",
        lot_number="LOT123",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first + dt.timedelta(minutes=5 * i) for i in range(count)],
    )
