"""Shared test support: personas, the test password, signing in with a verified second factor, TOTP
codes, and makers for clinics, members, patients and a checked-in treatment session.

Used by the pytest fixtures (``conftest.py``, ``treatment/tests/conftest.py``, the browser suite) and by
``bench/``. This is the top layer: it may import any app, but it imports Django and the apps inside
its functions, so that importing it does not need Django set up (``bench/`` imports it first, then
calls ``django.setup()``). Nothing here keeps database rows between calls: every maker writes through
the services and returns what it wrote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client

    from ketaclinic.accounts.models import Clinic, Membership, User
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.patients.models import Patient
    from ketaclinic.treatment.models import ProtocolVersion, TreatmentSession

# MRNs of the patients that checked_in_session makes itself (a counter, never a database row).
_SESSION_MRNS = itertools.count(1)

# Every test user's password (long enough for the 12-character rule, not on the common list).
PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105  (test credential)


@dataclass(frozen=True)
class ClinicSpec:
    code: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class Persona:
    """One person of the test world: the fixture that yields their membership, their username, their
    role (a ``Role`` value) and the fixture of their clinic."""

    fixture: str
    username: str
    role: str
    clinic_fixture: str = "clinic"


# The fixture name of each clinic and what it is made of.
CLINICS: dict[str, ClinicSpec] = {
    "clinic": ClinicSpec("north", "North Clinic", "America/New_York"),
    "other_clinic": ClinicSpec("south", "South Clinic", "America/Los_Angeles"),
}

# As healthchecks' alice/bob/charlie: six roles at North Clinic, and an outsider who is a prescriber
# at South Clinic.
PERSONAS: tuple[Persona, ...] = (
    Persona("prescriber", "dana", "prescriber"),
    Persona("nurse", "sam", "nurse"),
    Persona("front_desk", "lee", "front_desk"),
    Persona("inventory_manager", "kim", "inventory_manager"),
    Persona("researcher", "priya", "researcher"),
    Persona("clinic_admin", "morgan", "clinic_admin"),
    Persona("outsider", "olga", "prescriber", "other_clinic"),
)


def make_clinic(code: str, name: str, tz: str = "America/New_York") -> Clinic:
    from ketaclinic.accounts.services import clinic_create

    return clinic_create(by=None, code=code, name=name, time_zone=tz)


def make_member(
    clinic: Clinic,
    username: str,
    role: Role | str,
    *,
    password: str = PASSWORD,
    first_name: str | None = None,
    last_name: str = "Tester",
) -> Membership:
    """A user with a confirmed TOTP device and a membership of ``clinic`` in ``role``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.services import membership_grant, user_create

    user = user_create(
        by=None,
        username=username,
        password=password,
        first_name=username.title() if first_name is None else first_name,
        last_name=last_name,
    )
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return membership_grant(by=None, user=user, clinic=clinic, role=Role(role))


def make_persona(persona: Persona, clinic: Clinic) -> Membership:
    return make_member(clinic, persona.username, persona.role)


def sign_in(client: Client, membership: Membership) -> Client:
    """Sign ``membership.user`` in with a verified second factor, as the real login flow leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.middleware import AUTH_TIME_KEY, CLINIC_KEY

    client.force_login(membership.user)
    device = TOTPDevice.objects.get(user=membership.user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[AUTH_TIME_KEY] = time.time()
    session[CLINIC_KEY] = membership.clinic_id
    session.save()
    return client


def totp_code(user: User) -> str:
    """The current code of ``user``'s confirmed TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.totp import current_code

    return current_code(TOTPDevice.objects.get(user=user, confirmed=True))


def patient_maker() -> Callable[..., Patient]:
    """``make(membership, **fields)``: a new patient (MRN M0001, M0002, ... per maker)."""
    from ketaclinic.patients.services import patient_create

    counter = iter(range(1, 10_000))

    def _make(membership: Membership, **fields: Any) -> Patient:
        n = next(counter)
        data: dict[str, Any] = {
            "mrn": f"M{n:04d}",
            "given_name": "Alex",
            "family_name": f"Sample{n}",
            "date_of_birth": dt.date(1980, 5, 17),
            "sex": "female",
        }
        data.update(fields)
        return patient_create(by=membership, **data)

    return _make


def weigh(
    by: Membership, patient: Patient, kg: str | Decimal = "70", *, days_ago: float = 2
) -> None:
    """Record the patient's weight (needed before a course can be dosed)."""
    from django.utils import timezone

    from ketaclinic.patients.services import weight_record

    weight_record(
        by=by,
        patient=patient,
        value=Decimal(kg),
        unit="kg",
        measured_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def shipped_protocol(clinic_admin: Membership, code: str = "esketamine_trd") -> ProtocolVersion:
    """A shipped protocol of the library, copied into the admin's clinic."""
    from ketaclinic.treatment.services import protocol_copy_from_library

    return protocol_copy_from_library(by=clinic_admin, library_code=code)


def clear_for_course(
    prescriber: Membership, patient: Patient, version: ProtocolVersion, **answers: Any
) -> None:
    """An eligible screening for ``version``'s protocol (and, for esketamine, the REMS
    enrolment): what ``course_enrol`` and the dose need (issue 11). ``answers`` change facts."""
    from ketaclinic.screening.demo import screen

    protocol = version.protocol
    screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(protocol.drug),
        indication=protocol.indication,
        answers=answers,
    )


def session_now(
    *,
    prescriber: Membership,
    patient: Patient,
    version: ProtocolVersion,
    chair: str = "Chair 1",
    decision_note: str = "Screened in clinic; TRD after two adequate trials.",
    **enrol: Any,
) -> TreatmentSession:
    """The first session of a new course for ``patient``, rescheduled to now (scheduled, not
    checked in). ``enrol`` overrides further ``course_enrol`` arguments."""
    from django.utils import timezone

    from ketaclinic.treatment.models import TreatmentSession
    from ketaclinic.treatment.services import course_enrol

    clear_for_course(prescriber, patient, version)
    params: dict[str, Any] = {
        "by": prescriber,
        "patient": patient,
        "version": version,
        "decision_note": decision_note,
        "start_date": timezone.now().astimezone(prescriber.clinic.tzinfo).date(),
        "session_time": dt.time(9, 0),
        "chair": chair,
        **enrol,
    }
    course = course_enrol(**params)
    session = course.sessions.order_by("number").first()
    assert session is not None  # noqa: S101 - a new course has sessions
    # Set-up that no service produces: a session due now on whatever weekday and hour the test runs.
    # The calendar services put sessions on the clinic's opening days at the course's session time
    # (session_move refuses other days); travelling the clock to the session instead would move the
    # rest of the test to another day. Time that passes during a session moves with time-machine.
    TreatmentSession.objects.filter(pk=session.pk).update(scheduled_at=timezone.now())
    session.refresh_from_db()
    return session


def checklist(
    nurse: Membership,
    session: TreatmentSession,
    *,
    systolic: int = 120,
    diastolic: int = 80,
    measured_at: dt.datetime | None = None,
) -> None:
    """The pre-dose checklist, all confirmed, with vitals (BP ``systolic``/``diastolic``)."""
    from django.utils import timezone

    from ketaclinic.treatment.services import checklist_record

    esketamine = session.protocol_version.protocol.devices is not None
    checklist_record(
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
        respiratory_rate=16,
        nasal_medication_timing_ok=True if esketamine else None,
        measured_at=timezone.now() if measured_at is None else measured_at,
    )


def answer_pre_session_scales(nurse: Membership, session: TreatmentSession) -> None:
    """Record every pre-session scale of the session's protocol with each asked item at its
    lowest answer (items asked only after another answer left empty): no flag, no alert."""
    from django.utils import timezone

    from ketaclinic.scales import get_definition
    from ketaclinic.scales.services import scale_response_record

    for code in session.protocol_version.protocol.pre_session_scales:
        definition = get_definition(code)
        answers = [None if item.asked_when else item.min for item in definition.items]
        scale_response_record(
            by=nurse,
            patient=session.patient,
            code=code,
            answers=answers,
            effective_at=timezone.now(),
        )


def checked_in_session(
    *,
    nurse: Membership,
    prescriber: Membership,
    version: ProtocolVersion,
    patient: Patient | None = None,
    systolic: int = 120,
    diastolic: int = 80,
    vitals_minutes_ago: float | None = 15,
    scales: bool = True,
    **enrol: Any,
) -> TreatmentSession:
    """A session of ``version`` (a shipped protocol copied into the clinic) due now, checked in by
    ``nurse``, with its checklist recorded ``vitals_minutes_ago`` minutes ago (none when ``None``).

    Without a ``patient``, a new one weighing 70 kg is made. ``enrol`` goes to ``session_now``.
    ``scales``: the protocol's pre-session scales answered first, with the lowest answers
    (``answer_pre_session_scales``), as dosing needs them.
    """
    from django.utils import timezone

    from ketaclinic.treatment.services import session_check_in

    if patient is None:
        n = next(_SESSION_MRNS)
        patient = patient_maker()(prescriber, mrn=f"S{n:05d}", family_name=f"Seated{n}")
        weigh(prescriber, patient)
    session = session_now(prescriber=prescriber, patient=patient, version=version, **enrol)
    if scales:
        answer_pre_session_scales(nurse, session)
    # Checked in before the vitals are taken (treatment/domain/timing.py refuses a reading
    # before check-in).
    minutes = (vitals_minutes_ago or 0) + 5
    session_check_in(by=nurse, session=session, at=timezone.now() - dt.timedelta(minutes=minutes))
    if vitals_minutes_ago is not None:
        checklist(
            nurse,
            session,
            systolic=systolic,
            diastolic=diastolic,
            measured_at=timezone.now() - dt.timedelta(minutes=vitals_minutes_ago),
        )
    session.refresh_from_db()
    return session


def dose_iv_syringe(nurse: Membership, session: TreatmentSession, **changes: Any) -> Any:
    """Record an IV dose of ``session`` drawn into a syringe at 1 mg/mL from a 10 mg/mL vial,
    started a minute ago (the protocol's usual dose for the patient's weight)."""
    from django.utils import timezone

    from ketaclinic.treatment.services import dose_record

    params: dict[str, Any] = {
        "by": nurse,
        "session": session,
        "concentration_mg_per_ml": Decimal("10"),
        "container": "syringe",
        "final_concentration_mg_per_ml": Decimal("1"),
        "product": "Ketamine HCl 10 mg/mL",
        "lot_number": "K-1",
        "expiry_date": timezone.now().date() + dt.timedelta(days=200),
        "started_at": timezone.now() - dt.timedelta(minutes=1),
    }
    params.update(changes)
    return dose_record(**params)
