"""Treatment services: protocols, courses and the calendar, checklist gates, dose, observations."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic.alerts.models import Alert
from ketaclinic.audit.models import AuditEvent
from ketaclinic.treatment import services
from ketaclinic.treatment.domain.library import ESKETAMINE_TRD, IV_RACEMIC_DEPRESSION
from ketaclinic.treatment.models import (
    DoseAdministration,
    SessionPhase,
)
from ketaclinic.treatment.selectors import dosing_blockers, pending_decisions
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# Protocols


def test_a_shipped_protocol_is_copied_into_the_clinic_once(clinic_admin, esk_version) -> None:
    again = services.protocol_copy_from_library(by=clinic_admin, library_code="esketamine_trd")
    assert again.pk == esk_version.pk
    assert esk_version.protocol == ESKETAMINE_TRD
    assert esk_version.number == 1


def test_an_invalid_protocol_is_refused_with_the_field_named(clinic_admin) -> None:
    bad = dataclasses.replace(
        ESKETAMINE_TRD,
        code="esk_short",
        min_observation_minutes=60,
    )
    with pytest.raises(ValidationError) as exc:
        services.protocol_create(by=clinic_admin, protocol=bad)
    assert "min_observation_minutes" in exc.value.message_dict
    assert "at least 120 minutes" in str(exc.value.message_dict["min_observation_minutes"])
    wide = dataclasses.replace(
        IV_RACEMIC_DEPRESSION,
        code="iv_wide",
        dose=dataclasses.replace(IV_RACEMIC_DEPRESSION.dose, maximum=Decimal("1.5")),
    )
    with pytest.raises(ValidationError) as exc:
        services.protocol_create(by=clinic_admin, protocol=wide)
    assert "beyond the absolute cap" in str(exc.value.message_dict["dose.maximum"])


def test_a_change_makes_a_new_version_and_old_sessions_keep_theirs(
    clinic_admin, iv_version, enrol
) -> None:
    course = enrol(iv_version)
    changed = dataclasses.replace(
        iv_version.protocol,
        dose=dataclasses.replace(iv_version.protocol.dose, maximum=Decimal("0.6")),
    )
    v2 = services.protocol_new_version(
        by=clinic_admin, family=iv_version.family, protocol=changed, change_note="Studied range"
    )
    assert v2.number == 2
    assert v2.protocol.dose.maximum == Decimal("0.6")
    assert set(course.sessions.values_list("protocol_version_id", flat=True)) == {iv_version.pk}
    with pytest.raises(ValidationError):
        services.protocol_new_version(
            by=clinic_admin, family=iv_version.family, protocol=changed, change_note="again"
        )


def test_only_a_clinic_admin_manages_protocols(nurse) -> None:
    with pytest.raises(PermissionDenied):
        services.protocol_copy_from_library(by=nurse, library_code="esketamine_trd")


# --------------------------------------------------------------------------------------------
# Courses and the calendar


def test_enrolment_needs_a_prescriber_and_a_decision_note(nurse, esk_version, enrol) -> None:
    with pytest.raises(PermissionDenied):
        enrol(esk_version, by=nurse)
    with pytest.raises(ValidationError) as exc:
        enrol(esk_version, decision_note="  ")
    assert "decision_note" in exc.value.message_dict


def test_the_calendar_keeps_local_time_across_dst_and_skips_closures(
    prescriber, clinic_admin, esk_version, enrol
) -> None:
    # North Clinic: New York, Monday-Friday. Start Monday 2026-03-02; DST begins 2026-03-08.
    # The closure is the clinic's (added by the clinic admin beforehand), not an enrolment input.
    with time_machine.travel(dt.datetime(2026, 2, 20, 15, tzinfo=dt.UTC), tick=False):
        services.closure_add(by=clinic_admin, date=dt.date(2026, 3, 12), reason="Staff training")
        course = enrol(esk_version, start_date=dt.date(2026, 3, 2))
    sessions = list(course.sessions.order_by("number"))
    ny = ZoneInfo("America/New_York")
    local = [s.scheduled_at.astimezone(ny) for s in sessions]
    assert all(t.time() == dt.time(9, 0) for t in local)
    assert sessions[0].scheduled_at.hour == 14  # 09:00 EST = 14:00 UTC
    after_dst = [s for s in sessions if s.scheduled_at.astimezone(ny).date() > dt.date(2026, 3, 8)]
    assert after_dst[0].scheduled_at.hour == 13  # 09:00 EDT = 13:00 UTC
    days = {t.date() for t in local}
    assert dt.date(2026, 3, 12) not in days
    assert all(t.weekday() < 5 for t in local)
    # Induction: twice weekly for 4 weeks = 8 sessions, all placed despite the closure.
    assert sum(1 for s in sessions if s.phase_code == "induction") == 8
    assert AuditEvent.objects.filter(event_type="treatment.course_enrolled").count() == 1


def test_a_missed_session_shows_the_label_guidance(nurse, esk_version, enrol) -> None:
    course = enrol(esk_version)
    session = course.sessions.order_by("number").first()
    # Missed only once its time has passed (treatment/domain/timing.py).
    type(session).objects.filter(pk=session.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(hours=1)
    )
    session.refresh_from_db()
    guidance = services.session_miss(by=nurse, session=session, reason="Unwell, stayed home")
    assert "keep the current treatment schedule" in guidance
    session.refresh_from_db()
    assert session.phase == SessionPhase.MISSED
    with pytest.raises(ValidationError):
        services.session_cancel(by=nurse, session=session, reason="x")


@time_machine.travel(dt.datetime(2026, 2, 27, 15, tzinfo=dt.UTC), tick=False)
def test_a_session_moves_only_to_an_open_day(nurse, esk_version, enrol) -> None:
    course = enrol(esk_version, start_date=dt.date(2026, 3, 2))
    session = course.sessions.order_by("number").first()
    with pytest.raises(ValidationError) as exc:
        services.session_move(
            by=nurse, session=session, new_date=dt.date(2026, 3, 7), reason="Patient asked"
        )
    assert "not an opening day" in str(exc.value)
    moved = services.session_move(
        by=nurse, session=session, new_date=dt.date(2026, 3, 3), reason="Patient asked"
    )
    assert moved.scheduled_at.astimezone(ZoneInfo("America/New_York")).date() == dt.date(2026, 3, 3)
    assert moved.moved_from is not None


# --------------------------------------------------------------------------------------------
# Checklist gates


def test_high_predose_bp_blocks_dosing_until_a_prescriber_decides(
    nurse, prescriber, esk_version, checked
) -> None:
    session = checked(esk_version, systolic=152, diastolic=94)
    blockers = dosing_blockers(session)
    assert any("152/94" in b for b in blockers)
    with pytest.raises(ValidationError, match="152/94"):
        esk_dose(nurse, session)
    (pending,) = pending_decisions(session)
    with pytest.raises(PermissionDenied):
        services.prescriber_decision_record(
            by=nurse, session=session, kind=pending.kind, outcome="proceed", reason="fine"
        )
    services.prescriber_decision_record(
        by=prescriber,
        session=session,
        kind=pending.kind,
        outcome="proceed",
        reason="Usual baseline for this patient; benefit outweighs the transient rise.",
        subject=pending.subject,
    )
    assert dosing_blockers(session) == []
    # The devices are sprayed after the decision (treatment/domain/timing.py).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        dose = esk_dose(nurse, session)
    assert dose.device_count == 2


def test_an_unconfirmed_ride_home_blocks_dosing(nurse, esk_version, today_session) -> None:
    session = today_session(esk_version)
    services.session_check_in(by=nurse, session=session)
    blockers = services.checklist_record(
        by=nurse,
        session=session,
        fasting_confirmed=True,
        ride_home_confirmed=False,
        pregnancy_status="not_applicable",
        scales_reviewed=True,
        systolic_mmhg=120,
        diastolic_mmhg=80,
        heart_rate=70,
        spo2=98,
        moaa_s=5,
        respiratory_rate=14,
        nasal_medication_timing_ok=True,
    )
    assert any("ride home" in b for b in blockers)


# --------------------------------------------------------------------------------------------
# Dose


def test_iv_dose_is_computed_from_the_latest_weight_in_mg_ml_and_ml_per_h(
    nurse, iv_version, checked
) -> None:
    session = checked(iv_version)
    dose = services.dose_record(
        by=nurse,
        session=session,
        concentration_mg_per_ml=Decimal("10"),
        container="bag",
        final_volume_ml=Decimal("100"),
        product="Ketamine HCl 10 mg/mL",
        lot_number="K-1",
        expiry_date=timezone.now().date() + dt.timedelta(days=100),
    )
    # 0.5 mg/kg x 70 kg = 35 mg = 3.5 mL of 10 mg/mL into a 100 mL bag (0.35 mg/mL); the pump
    # runs the bag over 40 min: 150 mL/h (52.5 mg/h).
    assert dose.dose_mg == Decimal("35")
    assert dose.requested_dose_mg == Decimal("35")
    assert dose.dose_mg_per_kg == Decimal("0.5")
    assert dose.volume_ml == Decimal("3.5")
    assert (dose.container, dose.final_volume_ml) == ("bag", Decimal("100"))
    assert dose.final_concentration_mg_per_ml == Decimal("0.35")
    assert dose.rate_ml_per_h == Decimal("150")
    assert dose.rate_mg_per_h == Decimal("52.5")
    assert dose.weight_kg == Decimal("70")


def test_a_weight_older_than_30_days_must_be_measured_again(
    nurse, iv_version, checked, weighed_patient
) -> None:
    session = checked(iv_version)
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        with pytest.raises(ValidationError, match="Weigh the patient again"):
            services.dose_record(
                by=nurse,
                session=session,
                concentration_mg_per_ml=Decimal("10"),
                container="syringe",
                final_concentration_mg_per_ml=Decimal("1"),
                product="Ketamine",
                lot_number="K-1",
                expiry_date=timezone.now().date() + dt.timedelta(days=100),
            )


def test_out_of_range_needs_a_prescriber_and_above_cap_is_refused(
    nurse, prescriber, iv_version, checked
) -> None:
    session = checked(iv_version)
    common = {
        "session": session,
        "concentration_mg_per_ml": Decimal("10"),
        "container": "syringe",
        "final_concentration_mg_per_ml": Decimal("1"),
        "product": "Ketamine",
        "lot_number": "K-1",
        "expiry_date": timezone.now().date() + dt.timedelta(days=100),
    }
    with pytest.raises(ValidationError, match="ceiling"):
        services.dose_record(by=prescriber, amount=Decimal("1.2"), **common)
    with pytest.raises(ValidationError, match="override"):
        services.dose_record(by=nurse, amount=Decimal("0.05"), **common)
    with pytest.raises(ValidationError, match="override"):
        services.dose_record(by=prescriber, amount=Decimal("0.05"), **common)
    dose = services.dose_record(
        by=prescriber,
        amount=Decimal("0.05"),
        override_reason="Test dose after a previous emergence reaction",
        **common,
    )
    # 3.5 mg = 0.35 mL rounds (half up) to a measurable 0.4 mL: 4 mg is given and recorded.
    assert (dose.volume_ml, dose.dose_mg) == (Decimal("0.4"), Decimal("4.0"))
    assert session.decisions.filter(kind="dose_override").count() == 1


def test_84_mg_esketamine_only_after_a_prior_56_mg(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    with pytest.raises(ValidationError, match="only after a first 56 mg"):
        esk_dose(nurse, session, mg="84", minutes_ago=11)
    assert not DoseAdministration.objects.exists()


def test_esketamine_devices_need_five_minutes_between_them(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    now = timezone.now()
    with pytest.raises(ValidationError, match="at least 5 min"):
        services.dose_record(
            by=nurse,
            session=session,
            dose_mg=Decimal("56"),
            product="Spravato",
            lot_number="L",
            expiry_date=timezone.now().date() + dt.timedelta(days=30),
            device_times=[now - dt.timedelta(minutes=3), now - dt.timedelta(minutes=1)],
        )


# --------------------------------------------------------------------------------------------
# Observations and alerts


def test_impossible_values_are_refused_with_a_clear_message(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    with pytest.raises(ValidationError, match="SpO2: allowed 1-100"):
        services.observation_record(by=nurse, session=session, code="spo2", value=101)
    with pytest.raises(ValidationError, match="must be below the systolic"):
        services.observation_record(
            by=nurse, session=session, code="blood_pressure", systolic_mmhg=90, diastolic_mmhg=95
        )
    with pytest.raises(ValidationError, match="heart rate: allowed"):
        services.observation_record(by=nurse, session=session, code="heart_rate", value=0)


def test_threshold_alerts_are_raised_for_bp_rise_spo2_drop_and_sedation(
    nurse, esk_version, checked
) -> None:
    session = checked(esk_version)  # baseline 120/80, SpO2 98, MOAA/S 5
    esk_dose(nurse, session)
    _, alerts = services.observation_record(
        by=nurse, session=session, code="blood_pressure", systolic_mmhg=165, diastolic_mmhg=95
    )
    assert [a.kind.value for a in alerts] == ["bp_rise"]
    _, alerts = services.observation_record(by=nurse, session=session, code="spo2", value=93)
    assert [a.kind.value for a in alerts] == ["spo2_drop"]
    _, alerts = services.observation_record(by=nurse, session=session, code="moaa_s", value=3)
    assert [a.kind.value for a in alerts] == ["sedation"]
    _, alerts = services.observation_record(by=nurse, session=session, code="moaa_s", value=0)
    assert [a.kind.value for a in alerts] == ["loss_of_consciousness"]
    kinds = set(Alert.objects.filter(patient=session.patient).values_list("kind", flat=True))
    assert kinds == {"blood_pressure", "oxygen_saturation", "sedation", "loss_of_consciousness"}
    _, alerts = services.observation_record(
        by=nurse, session=session, code="blood_pressure", systolic_mmhg=130, diastolic_mmhg=84
    )
    assert alerts == []
