"""Screening services: the decision, the signed override, the enrolment gate and the checks
repeated before every dose."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.patients import services as patients
from ketaclinic.screening import selectors, services
from ketaclinic.screening.demo import screen
from ketaclinic.treatment.services import course_enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def esk(clinic_admin: Any) -> Any:
    return testing.shipped_protocol(clinic_admin, "esketamine_trd")


def _screen(prescriber: Any, patient: Any, version: Any, **answers: Any) -> Any:
    return screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(version.protocol.drug),
        indication=version.protocol.indication,
        answers=answers,
    )


def _enrol(prescriber: Any, patient: Any, version: Any) -> Any:
    return course_enrol(
        by=prescriber,
        patient=patient,
        version=version,
        decision_note="Reviewed the screening.",
        start_date=timezone.now().astimezone(prescriber.clinic.tzinfo).date(),
        session_time=dt.time(9, 0),
    )


def test_a_clean_screening_is_eligible_audited_and_fills_age_and_trials(
    prescriber, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    s = _screen(prescriber, patient, esk)
    assert s.decision.outcome == "eligible"
    assert s.decision.ruleset_version.startswith("2026-12.1")
    assert s.facts["adequate_failed_antidepressant_trials"] == 2
    assert "date of birth" in s.filled["age_years"]
    event = AuditEvent.objects.filter(event_type=EventType.SCREENING_RECORDED).last()
    assert event is not None and event.extra["outcome"] == "eligible"


def test_a_ketamine_allergy_on_the_chart_makes_hypersensitivity_yes(
    prescriber, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    patients.allergy_record(by=prescriber, patient=patient, substance="Ketamine", severity="severe")
    s = _screen(prescriber, patient, esk, hypersensitivity_ketamine=False)
    assert s.facts["hypersensitivity_ketamine"] is True
    assert "allergy list" in s.filled["hypersensitivity_ketamine"]
    assert s.decision.outcome == "not_eligible"


def test_an_intracerebral_haemorrhage_blocks_enrolment_and_cannot_be_overridden(
    prescriber, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    s = _screen(prescriber, patient, esk, intracerebral_haemorrhage_history=True)
    assert s.decision.outcome == "not_eligible" and s.decision.has_hard_finding
    with pytest.raises(ValidationError, match="hard contraindication"):
        _enrol(prescriber, patient, esk)
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.eligibility_override(
            by=prescriber,
            decision=s.decision,
            justification="I would like to treat this patient anyway, really.",
            password=testing.PASSWORD,
            token=testing.totp_code(prescriber.user),
        )


def test_controlled_hypertension_is_eligible_with_precautions_and_enrols(
    prescriber, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    s = _screen(prescriber, patient, esk, hypertension=True, systolic_mmhg=134, diastolic_mmhg=86)
    assert s.decision.outcome == "precautions"
    assert _enrol(prescriber, patient, esk).patient == patient


def test_a_relative_rule_is_overridden_with_a_signature_then_enrols(
    prescriber, nurse, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    s = _screen(prescriber, patient, esk, psychosis_history=True)
    with pytest.raises(ValidationError, match="relative"):
        _enrol(prescriber, patient, esk)
    with pytest.raises(PermissionDenied):
        services.eligibility_override(
            by=nurse, decision=s.decision, justification="x" * 30, password="", token=""
        )
    with pytest.raises(ValidationError, match="justification"):
        services.eligibility_override(
            by=prescriber, decision=s.decision, justification="short", password="", token=""
        )
    with pytest.raises(ValidationError, match="not recorded"):
        services.eligibility_override(
            by=prescriber, decision=s.decision, justification="x" * 30, password="bad", token="1"
        )
    decision = services.eligibility_override(
        by=prescriber,
        decision=s.decision,
        justification="Single brief psychotic episode 12 years ago; stable; psychiatrist agrees.",
        password=testing.PASSWORD,
        token=testing.totp_code(prescriber.user),
    )
    assert decision.overridden and decision.override_signature is not None
    assert decision.outcome == "not_eligible"  # the engine's answer is kept
    assert _enrol(prescriber, patient, esk).patient == patient


def test_no_screening_or_a_stale_one_blocks_enrolment(prescriber, make_patient, esk) -> None:
    patient = make_patient(prescriber)
    with pytest.raises(ValidationError, match="No screening"):
        _enrol(prescriber, patient, esk)
    _screen(prescriber, patient, esk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        with pytest.raises(ValidationError, match="91 days old"):
            _enrol(prescriber, patient, esk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=89)):
        assert _enrol(prescriber, patient, esk)


def test_the_clinic_sets_the_limit_and_relative_levels(
    prescriber, clinic_admin, make_patient, esk
) -> None:
    services.screening_policy_set(
        by=clinic_admin, valid_days=30, rule_levels={"psychosis_history": "precaution"}
    )
    patient = make_patient(prescriber)
    s = _screen(prescriber, patient, esk, psychosis_history=True)
    assert s.decision.outcome == "precautions"
    assert "psychosis_history=precaution" in s.decision.ruleset_version
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert not selectors.enrolment_clearance(
            patient=patient, protocol_code="esketamine_trd"
        ).cleared
    for levels in ({"hypersensitivity": "off"}, {"pregnancy": "hard"}):
        with pytest.raises(ValidationError):
            services.screening_policy_set(by=clinic_admin, valid_days=30, rule_levels=levels)
    with pytest.raises(ValidationError):
        services.screening_policy_set(by=clinic_admin, valid_days=0, rule_levels={})
    with pytest.raises(PermissionDenied):
        services.screening_policy_set(by=prescriber, valid_days=60, rule_levels={})


def test_dose_time_findings(prescriber, make_patient, esk) -> None:
    patient = make_patient(prescriber)
    _screen(prescriber, patient, esk)
    assert (
        selectors.dose_time_findings(
            patient=patient, protocol_code="esketamine_trd", drug="esketamine"
        )
        == []
    )
    patients.medication_record(
        by=prescriber, patient=patient, name="Lorazepam", dose_text="1 mg", is_benzodiazepine=True
    )
    patients.diagnosis_record(by=prescriber, patient=patient, icd10_code="Z33.1", text="Pregnant")
    patients.allergy_record(by=prescriber, patient=patient, substance="Esketamine", severity="mild")
    found = selectors.dose_time_findings(
        patient=patient, protocol_code="esketamine_trd", drug="esketamine"
    )
    assert sum(f.hard for f in found) == 2
    assert next(f for f in found if not f.hard).reason.startswith("New interacting medication")


def test_an_esketamine_patient_without_rems_enrolment_is_flagged(
    prescriber, make_patient, esk
) -> None:
    patient = make_patient(prescriber)
    screen(
        by=prescriber,
        patient=patient,
        protocol_code="esketamine_trd",
        protocol_title="Esketamine",
        drug="esketamine",
        indication="trd",
        rems=False,
    )
    found = selectors.dose_time_findings(
        patient=patient, protocol_code="esketamine_trd", drug="esketamine"
    )
    assert [f.hard for f in found] == [True] and "REMS" in found[0].reason
    services.rems_patient_enrol(
        by=prescriber,
        patient=patient,
        # The clinic's day, not UTC's (00:00-05:00 UTC it is still yesterday in New York).
        enrolled_on=timezone.now().astimezone(prescriber.clinic.tzinfo).date(),
        rems_patient_id="SYN-1",
    )
    assert (
        selectors.dose_time_findings(
            patient=patient, protocol_code="esketamine_trd", drug="esketamine"
        )
        == []
    )
    with pytest.raises(ValidationError, match="already"):
        services.rems_patient_enrol(
            by=prescriber,
            patient=patient,
            enrolled_on=timezone.now().astimezone(prescriber.clinic.tzinfo).date(),
            rems_patient_id="2",
        )


def test_typed_numbers_and_times_are_checked(prescriber, make_patient, esk) -> None:
    patient = make_patient(prescriber)
    base: dict[str, Any] = {
        "by": prescriber,
        "patient": patient,
        "protocol_code": "esketamine_trd",
        "protocol_title": "Esketamine",
        "drug": "esketamine",
        "indication": "trd",
        "diagnosis_icd10": "F33.2",
        "diagnosis_text": "MDD",
        "answers": {"systolic_mmhg": 120, "diastolic_mmhg": 80},
    }
    with pytest.raises(ValidationError, match="measured"):
        services.screening_record(**base)
    with pytest.raises(ValidationError, match="future"):
        services.screening_record(**base, bp_measured_at=timezone.now() + dt.timedelta(hours=1))
    bad_trial = services.TrialInput("Sertraline", Decimal("0"), 8, True, "none")
    with pytest.raises(ValidationError, match="daily dose"):
        services.screening_record(**base, bp_measured_at=timezone.now(), trials=[bad_trial])
    with pytest.raises(ValidationError, match="fact"):
        services.screening_record(
            **{**base, "answers": {"pregnant": "no"}}, bp_measured_at=timezone.now()
        )
    with pytest.raises(ValidationError, match="filled in"):
        services.screening_record(**{**base, "answers": {"age_years": 30}})
