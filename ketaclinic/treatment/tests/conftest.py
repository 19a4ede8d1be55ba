"""Fixtures for the Django side of treatment: shipped protocols copied into North Clinic, a
weighed patient, and a session walked to any phase through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def esk_version(clinic_admin):
    from ketaclinic.treatment.services import protocol_copy_from_library

    return protocol_copy_from_library(by=clinic_admin, library_code="esketamine_trd")


@pytest.fixture
def iv_version(clinic_admin):
    from ketaclinic.treatment.services import protocol_copy_from_library

    return protocol_copy_from_library(by=clinic_admin, library_code="iv_racemic_depression")


@pytest.fixture
def weighed_patient(prescriber, make_patient):
    from ketaclinic.patients.services import weight_record

    patient = make_patient(prescriber)
    weight_record(
        by=prescriber,
        patient=patient,
        value=Decimal("70"),
        unit="kg",
        measured_at=timezone.now() - dt.timedelta(days=2),
    )
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
        return course_enrol(**params)

    return _enrol


@pytest.fixture
def today_session(enrol) -> Callable[..., Any]:
    """The first session of a new course, rescheduled to now (whatever weekday today is)."""

    def _make(version: Any) -> Any:
        from ketaclinic.treatment.models import TreatmentSession

        course = enrol(version)
        session = course.sessions.order_by("number").first()
        # Test set-up only: pin the first session to now, whatever the opening days.
        TreatmentSession.objects.filter(pk=session.pk).update(scheduled_at=timezone.now())
        session.refresh_from_db()
        return session

    return _make


@pytest.fixture
def checked(nurse, today_session) -> Callable[..., Any]:
    """A session checked in with its checklist recorded (BP 120/80 unless given)."""
    from ketaclinic.treatment import services

    def _make(
        version: Any, systolic: int = 120, diastolic: int = 80, vitals_minutes_ago: int = 15
    ) -> Any:
        session = today_session(version)
        services.session_check_in(by=nurse, session=session)
        esk = version.protocol.devices is not None
        services.checklist_record(
            by=nurse,
            session=session,
            fasting_confirmed=True,
            ride_home_confirmed=True,
            pregnancy_status="not_applicable",
            scales_reviewed=True,
            systolic_mmhg=systolic,
            diastolic_mmhg=diastolic,
            heart_rate=72,
            spo2=98,
            moaa_s=5,
            nasal_medication_timing_ok=True if esk else None,
            measured_at=timezone.now() - dt.timedelta(minutes=vitals_minutes_ago),
        )
        session.refresh_from_db()
        return session

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
