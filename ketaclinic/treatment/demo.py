"""This app's part of the demo clinic (called by `ketaclinic demo` after the foundation step).

Idempotent (nothing is done once the demo clinic has a course) and deterministic (fixed seed).
Every write goes through the services, so the audit chain holds. The shipped protocols are
copied into the clinic; courses start 1, 3, 6 and 10 weeks ago (induction, optimisation,
maintenance); today's chair board has a session in every phase. One patient each is on the PTSD,
OCD, anxiety (subcutaneous, ascending doses) and intranasal protocols, with a scale history that
fits the protocol's outcome (PCL-5, Y-BOCS, GAD-7, PHQ-9).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.totp import current_code
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.core.demo_data import DEMO_PASSWORD
from ketaclinic.patients.models import Patient
from ketaclinic.patients.selectors import latest_weight
from ketaclinic.patients.services import weight_record
from ketaclinic.scales import get_definition
from ketaclinic.scales.demo import record_history
from ketaclinic.scales.services import scale_response_record
from ketaclinic.screening.demo import screen
from ketaclinic.treatment import services
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.models import (
    Course,
    ProtocolVersion,
    RemsMonitoringForm,
    TreatmentSession,
)

SEED = 20261127
CLINIC_CODE = "demo"


def _member(clinic: Clinic, role: Role) -> Membership:
    return Membership.objects.select_related("user", "clinic").get(
        clinic=clinic, role=role, user__username__in=["prescriber", "nurse", "admin", "frontdesk"]
    )


def _place_today(by: Membership, session: TreatmentSession, at: dt.datetime, chair: str) -> None:
    """Demo set-up: put a session on today's board whatever the clinic's opening days."""
    with transaction.atomic():
        old = session.scheduled_at
        TreatmentSession.objects.filter(pk=session.pk).update(scheduled_at=at, chair=chair)
        audit_record(
            event_type=EventType.SESSION_UPDATED,
            actor=by,
            obj=session,
            patient_id=session.patient_id,
            reason="Demo: placed on today's chair board",
            changes={"scheduled_at": (old, at)},
        )
    session.refresh_from_db()


def _ensure_weight(nurse: Membership, patient: Patient, rng: random.Random) -> None:
    weight = latest_weight(patient=patient)
    now = timezone.now()
    if weight is None or now - weight.measured_at > dt.timedelta(days=20):
        kg = weight.weight_kg if weight else Decimal(rng.randint(55, 100))
        weight_record(
            by=nurse, patient=patient, value=kg, unit="kg", measured_at=now - dt.timedelta(days=1)
        )


def _scales(nurse: Membership, s: TreatmentSession, at: dt.datetime) -> None:
    """The protocol's pre-session scales, answered at their lowest (synthetic; no flag)."""
    for code in s.protocol_version.protocol.pre_session_scales:
        items = get_definition(code).items
        scale_response_record(
            by=nurse,
            patient=s.patient,
            code=code,
            answers=[None if item.asked_when else item.min for item in items],
            effective_at=at,
        )


def _checklist(
    nurse: Membership, s: TreatmentSession, at: dt.datetime, bp: tuple[int, int]
) -> None:
    esk = s.protocol_version.protocol.devices is not None
    services.checklist_record(
        by=nurse,
        session=s,
        fasting_confirmed=True,
        ride_home_confirmed=True,
        pregnancy_status="not_applicable",
        scales_reviewed=True,
        systolic_mmhg=bp[0],
        diastolic_mmhg=bp[1],
        heart_rate=74,
        spo2=98,
        moaa_s=5,
        respiratory_rate=16,
        nasal_medication_timing_ok=True if esk else None,
        measured_at=at,
    )


def _esk_dose(nurse: Membership, s: TreatmentSession, first: dt.datetime) -> None:
    services.dose_record(
        by=nurse,
        session=s,
        dose_mg=Decimal("56"),
        product="SPRAVATO 56 mg kit (NDC 50458-028-02)",
        lot_number="DEMO-LOT-0427",
        expiry_date=(timezone.now() + dt.timedelta(days=400)).date(),
        device_times=[first, first + dt.timedelta(minutes=5)],
    )


def _iv_dose(nurse: Membership, s: TreatmentSession, start: dt.datetime) -> None:
    services.dose_record(
        by=nurse,
        session=s,
        concentration_mg_per_ml=Decimal("10"),
        container="syringe",
        final_concentration_mg_per_ml=Decimal("1"),
        product="Ketamine HCl injection 10 mg/mL",
        lot_number="DEMO-K-1193",
        expiry_date=(timezone.now() + dt.timedelta(days=300)).date(),
        started_at=start,
    )


def _vitals(nurse: Membership, s: TreatmentSession, at: dt.datetime, moaa_s: int = 5) -> None:
    services.observation_record(
        by=nurse,
        session=s,
        code="blood_pressure",
        systolic_mmhg=134,
        diastolic_mmhg=84,
        measured_at=at,
    )
    services.observation_record(by=nurse, session=s, code="spo2", value=98, measured_at=at)
    services.observation_record(
        by=nurse, session=s, code="respiratory_rate", value=16, measured_at=at
    )
    services.observation_record(by=nurse, session=s, code="moaa_s", value=moaa_s, measured_at=at)
    services.observation_record(by=nurse, session=s, code="cadss", value=4, measured_at=at)


def _discharge_and_sign(nurse: Membership, prescriber: Membership, done: TreatmentSession) -> None:
    """Discharge the finished demo session, answer what no record answers on its REMS form, and
    sign it as the prescriber."""
    done.refresh_from_db()
    services.session_discharge(
        by=nurse,
        session=done,
        criteria_met=[c.code for c in done.protocol_version.protocol.discharge_criteria],
        escort="Spouse, by car",
        minutes_until_ready_without_rule=75,
        hcp_phone="555-0142",
        hcp_email="sam.okafor@riverside.example",
    )
    # What no record answers on the REMS form: the nurse confirms it (synthetic demo answers).
    services.rems_form_update(
        by=nurse,
        form=RemsMonitoringForm.objects.get(session=done),
        values={"patient_enrolled": "yes", "takes_other_sedating_or_bp_drugs": "no"},
    )
    device = TOTPDevice.objects.get(user=prescriber.user, confirmed=True)
    services.session_sign(
        by=prescriber, session=done, password=DEMO_PASSWORD, token=current_code(device)
    )
    # The demo signed on the prescriber's behalf with the current code. TOTP refuses a code twice,
    # so the person who runs `./scripts/demo` would see the prescriber's sign-in code refused for
    # the rest of this 30-second step: undo the demo's use of it (synthetic demo users only).
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, drift=0)


#: The patients on the protocols of clinical.md section 13: protocol, weeks since the course
#: started, and per scale the (days before today, total) history. Synthetic and plausible: the
#: PTSD patient's PCL-5 falls by more than 10 points over six infusions (a response, scales.md);
#: the OCD patient's Y-BOCS falls 39 % at one week (a response, not remission <= 12); the anxiety
#: patient's GAD-7 halves over the three ascending doses and maintenance (a response, not
#: remission < 5); the intranasal patient's PHQ-9 drops the day after the sprays.
OTHER_INDICATIONS: tuple[
    tuple[str, int, tuple[tuple[str, tuple[tuple[int, int], ...]], ...]], ...
] = (
    (
        "iv_racemic_ptsd",
        2,
        (
            ("pcl5", ((15, 54), (12, 50), (10, 47), (8, 44), (5, 41), (3, 39), (1, 38))),
            ("phq9", ((15, 18), (8, 14), (1, 11))),
        ),
    ),
    ("iv_racemic_ocd", 1, (("ybocs", ((8, 28), (1, 17))),)),
    (
        "sc_racemic_anxiety",
        4,
        (("gad7", ((29, 17), (22, 15), (15, 11), (8, 9), (1, 8))),),
    ),
    ("in_racemic_depression", 1, (("phq9", ((8, 19), (6, 12), (1, 14))),)),
)


def _other_indications(
    nurse: Membership, patients: list[Patient], enrol: Callable[[Patient, str, int], Course]
) -> None:
    for k, (patient, (code, weeks, history)) in enumerate(
        zip(patients, OTHER_INDICATIONS, strict=False)
    ):
        enrol(patient, code, weeks)
        for scale, totals in history:
            record_history(
                by=nurse, patient=patient, code=scale, totals_by_days_ago=totals, seed=SEED + k
            )


def seed(out: Callable[[str], None]) -> None:
    clinic = Clinic.objects.filter(code=CLINIC_CODE).first()
    if clinic is None:
        return
    if Course.objects.filter(clinic=clinic).exists():
        out("Treatment demo: already seeded.")
        return
    rng = random.Random(SEED)  # noqa: S311  (synthetic demo data, not security)
    admin = _member(clinic, Role.CLINIC_ADMIN)
    prescriber = _member(clinic, Role.PRESCRIBER)
    nurse = _member(clinic, Role.NURSE)
    versions: dict[str, ProtocolVersion] = {
        code: services.protocol_copy_from_library(by=admin, library_code=code)
        for code in SHIPPED_PROTOCOLS
    }
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn")[:18])
    tz = clinic.tzinfo
    now = timezone.now()
    today = now.astimezone(tz).date()

    def enrol(patient: Patient, code: str, weeks_ago: int, chair: str = "") -> Course:
        _ensure_weight(nurse, patient, rng)
        version = versions[code]
        screen(  # issue 11: a course needs an eligible screening
            by=prescriber,
            patient=patient,
            protocol_code=code,
            protocol_title=version.family.title,
            drug=str(version.protocol.drug),
            indication=version.protocol.indication,
        )
        return services.course_enrol(
            by=prescriber,
            patient=patient,
            version=versions[code],
            decision_note="Demo: reviewed history, prior trials and contraindications; "
            "patient consented.",
            start_date=today - dt.timedelta(weeks=weeks_ago),
            history=True,  # demo courses that began before today
            session_time=dt.time(9, 0),
            chair=chair,
            concomitant_antidepressant="Sertraline 100 mg daily"
            if versions[code].protocol.requires_oral_antidepressant
            else "",
        )

    # Courses in every schedule phase (TRD: induction, optimisation, maintenance).
    for i, weeks in enumerate((1, 5, 10)):
        enrol(patients[i], "esketamine_trd", weeks)
    enrol(patients[3], "esketamine_mdsi", 2)
    enrol(patients[4], "iv_racemic_crps", 1)
    enrol(patients[5], "oral_racemic_depression", 3)

    _other_indications(nurse, patients[14:18], enrol)

    # Today's board: one session in each phase.
    board: list[tuple[str, str, int]] = [
        ("esketamine_trd", "Chair 1", 140),  # done, signed
        ("esketamine_trd", "Chair 2", 125),  # ready for discharge
        ("esketamine_trd", "Chair 3", 50),  # monitoring, sedation alert
        ("iv_racemic_depression", "Chair 4", 15),  # dosing (infusion running)
        ("esketamine_trd", "Chair 5", 20),  # pre-dose, BP waiting for the prescriber
        ("iv_racemic_depression", "Chair 6", 10),  # checked in
        ("esketamine_trd", "Room A", -60),  # scheduled later today
        ("iv_racemic_depression", "Room B", 60),  # missed (its time has passed)
    ]
    sessions: list[TreatmentSession] = []
    for k, (code, chair, minutes_ago) in enumerate(board):
        course = enrol(patients[6 + k], code, 0, chair)
        first = course.sessions.order_by("number").first()
        assert first is not None  # noqa: S101 - a new course has sessions
        _place_today(admin, first, now - dt.timedelta(minutes=minutes_ago + 20), chair)
        sessions.append(first)
    done, ready, monitoring_, dosing_, predose, checked, _, missed = sessions
    for s in (done, ready, monitoring_, dosing_, predose, checked):
        services.session_check_in(by=nurse, session=s, at=s.scheduled_at)
    for s, minutes in ((done, 140), (ready, 130), (monitoring_, 50), (dosing_, 15)):
        _scales(nurse, s, now - dt.timedelta(minutes=minutes + 15))
        _checklist(nurse, s, now - dt.timedelta(minutes=minutes + 10), (126, 80))
    _checklist(nurse, predose, now - dt.timedelta(minutes=5), (152, 96))
    _esk_dose(nurse, done, now - dt.timedelta(minutes=135))
    _esk_dose(nurse, ready, now - dt.timedelta(minutes=125))
    _esk_dose(nurse, monitoring_, now - dt.timedelta(minutes=45))
    _iv_dose(nurse, dosing_, now - dt.timedelta(minutes=10))
    for s in (done, ready):
        s.refresh_from_db()
        start = s.dose_started_at or now
        _vitals(nurse, s, start + dt.timedelta(minutes=40))
        _vitals(nurse, s, start + dt.timedelta(minutes=110))
    monitoring_.refresh_from_db()
    _vitals(nurse, monitoring_, (monitoring_.dose_started_at or now) + dt.timedelta(minutes=40), 4)
    _discharge_and_sign(nurse, prescriber, done)
    services.session_miss(by=nurse, session=missed, reason="Patient unwell, called to cancel")
    out(
        f"Treatment demo: {len(versions)} protocols, "
        f"{Course.objects.filter(clinic=clinic).count()} courses, "
        f"{len(sessions)} sessions on today's chair board."
    )
