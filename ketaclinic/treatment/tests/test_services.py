"""Treatment services: protocols, courses, the session at the chair, signatures and amendments."""

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
from ketaclinic.audit.models import AuditEvent, SignatureMeaning
from ketaclinic.audit.signatures import signature_matches
from ketaclinic.testing import PASSWORD, totp_code
from ketaclinic.treatment import services
from ketaclinic.treatment.domain.library import ESKETAMINE_TRD, IV_RACEMIC_DEPRESSION
from ketaclinic.treatment.models import (
    Amendment,
    DoseAdministration,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors import dosing_blockers, pending_decisions
from ketaclinic.treatment.selectors.signing import session_content
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
    guidance = services.session_miss(by=nurse, session=session, reason="Unwell, stayed home")
    assert "keep the current treatment schedule" in guidance
    session.refresh_from_db()
    assert session.phase == SessionPhase.MISSED
    with pytest.raises(ValidationError):
        services.session_cancel(by=nurse, session=session, reason="x")


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


# --------------------------------------------------------------------------------------------
# Discharge, signature, amendment, REMS


def _acknowledge_all(prescriber, session) -> None:
    from ketaclinic.alerts.services import alert_acknowledge

    for alert in Alert.objects.filter(patient=session.patient, acknowledged_at__isnull=True):
        alert_acknowledge(by=prescriber, alert=alert, note="Seen at the chair; resolved.")


#: What no record answers: the address (North Clinic has none), the REMS enrolment and the
#: other sedating or blood-pressure drugs (a person answers them).
PMF_FILL = {
    "setting_address": "1 North St",
    "hcp_email": "sam@north.example",
    "patient_enrolled": "yes",
    "takes_other_sedating_or_bp_drugs": "no",
}

CRITERIA = [
    "readiness_assessed",
    "vitals_acceptable",
    "sedation_resolved",
    "dissociation_resolved",
    "ride_home_confirmed",
    "no_driving_counselled",
]


def _monitor_esketamine(nurse, session, start: dt.datetime) -> None:
    for minute, bp in ((40, (138, 86)), (110, (124, 80))):
        at = start + dt.timedelta(minutes=minute)
        services.observation_record(
            by=nurse,
            session=session,
            code="blood_pressure",
            systolic_mmhg=bp[0],
            diastolic_mmhg=bp[1],
            measured_at=at,
        )
        services.observation_record(
            by=nurse, session=session, code="spo2", value=98, measured_at=at
        )
        services.observation_record(
            by=nurse, session=session, code="respiratory_rate", value=16, measured_at=at
        )
        services.observation_record(
            by=nurse, session=session, code="moaa_s", value=5, measured_at=at
        )
        services.observation_record(
            by=nurse, session=session, code="cadss", value=2, measured_at=at
        )


@pytest.fixture
def discharged(nurse, esk_version, checked):
    """An esketamine session dosed 125 minutes ago, monitored and discharged.

    The clock moves through the session with time-machine (check-in and vitals, the first spray
    10 minutes later, readings at 40 and 110 minutes, discharge at 125) and the test runs at the
    moment of discharge."""
    with time_machine.travel(timezone.now(), tick=True) as clock:
        session = checked(esk_version, vitals_minutes_ago=0)
        assert session.observations.count() == 5
        clock.shift(dt.timedelta(minutes=15))
        esk_dose(nurse, session, minutes_ago=5)  # sprays 10 and 15 minutes after check-in
        session.refresh_from_db()
        clock.shift(dt.timedelta(minutes=120))  # 125 minutes after the first spray
        _monitor_esketamine(nurse, session, session.dose_started_at)
        services.session_discharge(
            by=nurse,
            session=session,
            criteria_met=CRITERIA,
            escort="Partner, by car",
            minutes_until_ready_without_rule=60,
            hcp_phone="555-0100",
        )
        session.refresh_from_db()
        yield session


def test_the_web_endpoint_refuses_a_reading_for_a_signed_session(
    prescriber, nurse, discharged, login
) -> None:
    """The endpoint's own path (the session read once, under its lock) refuses a signed session as
    observation_record does, and writes nothing."""
    from django.urls import reverse

    form = RemsMonitoringForm.objects.get(session=discharged)
    services.rems_form_update(by=nurse, form=form, values=PMF_FILL)
    services.session_sign(
        by=prescriber, session=discharged, password=PASSWORD, token=totp_code(prescriber.user)
    )
    before = discharged.observations.count()
    with pytest.raises(ValidationError, match="locked"):
        services.observation_record_by_id(
            by=nurse, session_id=discharged.pk, code="heart_rate", value=70
        )
    client = login(nurse)
    url = reverse("treatment:observation", kwargs={"session_id": discharged.pk})
    response = client.post(url, {"code": "heart_rate", "value": "70"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "signed and locked" in response.content.decode()
    assert discharged.observations.count() == before


def test_esketamine_discharge_is_refused_before_120_minutes(nurse, esk_version, checked) -> None:
    session = checked(esk_version)
    esk_dose(nurse, session)
    session.refresh_from_db()
    with pytest.raises(ValidationError, match="Observation time not reached: 120 minutes"):
        services.session_discharge(
            by=nurse, session=session, criteria_met=CRITERIA, escort="Partner"
        )
    with time_machine.travel(session.dose_started_at + dt.timedelta(minutes=121)):
        _monitor_esketamine(nurse, session, session.dose_started_at)
        services.session_discharge(
            by=nurse,
            session=session,
            criteria_met=CRITERIA,
            escort="Partner",
            minutes_until_ready_without_rule=45,
            hcp_phone="555-0100",
        )
    session.refresh_from_db()
    assert session.phase == SessionPhase.DONE


def test_the_session_cannot_be_signed_while_a_pmf_field_is_missing(prescriber, discharged) -> None:
    form = RemsMonitoringForm.objects.get(session=discharged)
    assert form.data["setting_address"] is None  # North Clinic has no address
    with pytest.raises(ValidationError, match="Setting address"):
        services.session_sign(
            by=prescriber,
            session=discharged,
            password=PASSWORD,
            token=totp_code(prescriber.user),
        )
    assert TreatmentSession.objects.get(pk=discharged.pk).signed_at is None


def test_signing_needs_the_password_and_code_again(prescriber, nurse, discharged) -> None:
    form = RemsMonitoringForm.objects.get(session=discharged)
    services.rems_form_update(by=nurse, form=form, values=PMF_FILL)
    with pytest.raises(ValidationError, match="not accepted"):
        services.session_sign(by=prescriber, session=discharged, password="wrong", token="000000")
    assert AuditEvent.objects.filter(event_type="auth.reauth_failed").count() == 1
    with pytest.raises(PermissionDenied):
        services.session_sign(
            by=nurse, session=discharged, password=PASSWORD, token=totp_code(nurse.user)
        )


def test_signature_is_bound_to_the_content_and_an_amendment_breaks_it(
    prescriber, nurse, discharged
) -> None:
    form = RemsMonitoringForm.objects.get(session=discharged)
    services.rems_form_update(by=nurse, form=form, values=PMF_FILL)
    signed = services.session_sign(
        by=prescriber,
        session=discharged,
        password=PASSWORD,
        token=totp_code(prescriber.user),
        meaning=SignatureMeaning.APPROVAL,
    )
    signature = signed.signature
    assert signature is not None
    assert signature.printed_name == prescriber.user.display_name
    assert signature.meaning == "approval"
    assert signature_matches(signature, session_content(signed))

    # Locked: every write is refused.
    with pytest.raises(ValidationError, match="locked"):
        services.observation_record(by=nurse, session=signed, code="heart_rate", value=70)
    with pytest.raises(ValidationError, match="locked"):
        services.adverse_event_record(
            by=nurse,
            session=signed,
            event_type="nausea_vomiting",
            severity="mild",
            serious=False,
            action_taken="none",
            outcome="resolved",
        )

    amendment = services.session_amend(
        by=nurse,
        session=signed,
        field="dose.lot_number",
        new_value="LOT124",
        reason="Lot misread from the kit label",
    )
    assert amendment.old_value == "LOT123"
    assert DoseAdministration.objects.get(session=signed).lot_number == "LOT123"  # original kept
    assert Amendment.objects.filter(session=signed).count() == 1
    assert not signature_matches(signature, session_content(signed))


def test_a_signed_pmf_is_marked_submitted_with_its_confirmation(
    prescriber, nurse, discharged
) -> None:
    form = RemsMonitoringForm.objects.get(session=discharged)
    assert form.due_date == form.created_at.astimezone(
        discharged.clinic.tzinfo
    ).date() + dt.timedelta(days=7)
    assert form.data["dose"] == "56"
    assert form.data["lot_number"] == "LOT123"
    assert form.data["total_monitoring_minutes"] >= 120
    assert form.data["bp_at_40_min_systolic_mmhg"] == 138
    # An empty required field refuses submission first, naming it.
    with pytest.raises(ValidationError, match="Patient enrolled in the REMS"):
        services.rems_form_mark_submitted(by=nurse, form=form, confirmation_number="C-1")
    services.rems_form_update(by=nurse, form=form, values=PMF_FILL)
    with pytest.raises(ValidationError, match="Sign the session first"):
        services.rems_form_mark_submitted(by=nurse, form=form, confirmation_number="C-1")
    services.session_sign(
        by=prescriber, session=discharged, password=PASSWORD, token=totp_code(prescriber.user)
    )
    done = services.rems_form_mark_submitted(by=nurse, form=form, confirmation_number="C-1")
    assert done.confirmation_number == "C-1"
    assert done.submitted_at is not None


def test_a_positive_phq9_item_9_blocks_dosing_until_a_prescriber_reviews_it(
    nurse, prescriber, esk_version, checked
) -> None:
    from ketaclinic.scales.services import scale_response_record

    session = checked(esk_version)
    scale_response_record(
        by=nurse,
        patient=session.patient,
        code="phq9",
        answers=[2, 2, 1, 1, 1, 1, 1, 1, 1],  # item 9 answered 1: suicidal ideation flagged
        effective_at=timezone.now(),  # after the session's own answers: the latest counts
    )
    (pending,) = pending_decisions(session)
    assert pending.kind == "suicidality_review"
    with pytest.raises(ValidationError, match="suicidal_ideation"):
        esk_dose(nurse, session)
    services.prescriber_decision_record(
        by=prescriber,
        session=session,
        kind=pending.kind,
        outcome="proceed",
        reason="Passive ideation, no plan or intent; safety plan reviewed with the patient.",
        subject=pending.subject,
    )
    assert dosing_blockers(session) == []


@pytest.mark.parametrize("outcome", ["fatal", "life_threatening", "hospitalisation"])
def test_a_serious_adverse_event_raises_a_critical_alert_at_once(
    nurse, esk_version, checked, outcome
) -> None:
    from ketaclinic.alerts.models import Alert

    session = checked(esk_version)
    ae = services.adverse_event_record(
        by=nurse,
        session=session,
        event_type="other",
        description="Synthetic test event",
        severity="severe",
        serious=False,
        action_taken="Emergency services called",
        outcome=outcome,
    )
    assert ae.serious  # the outcome is a seriousness criterion
    (alert,) = Alert.objects.filter(source_type="treatment.adverseevent", source_id=str(ae.pk))
    assert (alert.kind, alert.severity) == ("serious_adverse_event", "critical")


def test_a_non_serious_adverse_event_raises_no_alert(nurse, esk_version, checked) -> None:
    from ketaclinic.alerts.models import Alert

    session = checked(esk_version)
    services.adverse_event_record(
        by=nurse,
        session=session,
        event_type="other",
        description="Synthetic test event",
        severity="mild",
        serious=False,
        action_taken="none",
        outcome="resolved",
    )
    assert not Alert.objects.filter(source_type="treatment.adverseevent").exists()


def test_a_crisis_reading_before_dosing_raises_a_critical_alert(
    nurse, esk_version, checked
) -> None:
    from ketaclinic.alerts.models import Alert

    session = checked(esk_version)
    _, alerts = services.observation_record(
        by=nurse, session=session, code="blood_pressure", systolic_mmhg=182, diastolic_mmhg=100
    )
    assert [a.kind.value for a in alerts] == ["hypertensive_crisis"]
    (alert,) = Alert.objects.filter(kind="hypertensive_crisis")
    assert alert.severity == "critical" and "ACC/AHA" in alert.detail
