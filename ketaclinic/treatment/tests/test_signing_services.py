"""Treatment services: discharge, signature, amendment, REMS and safety signals (split from
test_services.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic.alerts.models import Alert
from ketaclinic.audit.models import AuditEvent, SignatureMeaning
from ketaclinic.audit.signatures import signature_matches
from ketaclinic.testing import PASSWORD, totp_code
from ketaclinic.treatment import services
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
