"""Writes of screening: record a screening (its decision is computed in the same transaction),
override a relative "not eligible" with a signature, enrol a patient in the REMS, and change a
clinic's screening settings. Each writes its audit event in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate
from ketaclinic.audit.models import EventType, SignatureMeaning
from ketaclinic.audit.services import audit_record
from ketaclinic.audit.signatures import signature_record
from ketaclinic.patients.models import Patient
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.screening import rules
from ketaclinic.screening.models import (
    EligibilityDecision,
    Outcome,
    PriorTrial,
    RemsPatientEnrolment,
    Screening,
    ScreeningPolicy,
    TrialResponse,
)
from ketaclinic.screening.selectors import (
    clinic_ruleset,
    ketamine_allergy,
    patient_age_years,
)

# Facts the system fills in; the rest are answered at the screening.
DERIVED_FACTS = ("age_years", "adequate_failed_antidepressant_trials")
# Plausibility limits of typed numbers, with their source.
MAX_DOSE_MG_PER_DAY = Decimal("6000")  # above any antidepressant's daily maximum (lithium ~2400)
MAX_TRIAL_WEEKS = 520  # ten years on one drug within an episode: a typing error beyond


def _need(by: Membership, perm: Perm) -> None:
    if not by.can(perm):
        raise PermissionDenied


def _own(by: Membership, clinic_id: int) -> None:
    if by.clinic_id != clinic_id:
        raise PermissionDenied


@dataclass(frozen=True)
class TrialInput:
    drug: str
    dose_mg_per_day: Decimal
    weeks: int
    adequate: bool
    response: str
    current_episode: bool = True


def _check_trials(trials: Sequence[TrialInput]) -> None:
    for number, trial in enumerate(trials, start=1):
        where = f"Trial {number}"
        if not trial.drug.strip():
            raise ValidationError({"trials": f"{where}: name the drug."})
        if not Decimal(0) < trial.dose_mg_per_day <= MAX_DOSE_MG_PER_DAY:
            raise ValidationError(
                {
                    "trials": f"{where}: the daily dose must be above 0 and at most "
                    f"{MAX_DOSE_MG_PER_DAY} mg (above any antidepressant's maximum)."
                }
            )
        if not 1 <= trial.weeks <= MAX_TRIAL_WEEKS:
            raise ValidationError(
                {"trials": f"{where}: the duration must be 1 to {MAX_TRIAL_WEEKS} weeks."}
            )
        if trial.response not in TrialResponse.values:
            raise ValidationError({"trials": f"{where}: choose the response."})


def _check_times_and_scores(
    now: dt.datetime,
    bp_measured_at: dt.datetime | None,
    has_bp: bool,
    substance_screen: str,
    substance_screen_score: int | None,
) -> None:
    if has_bp:
        if bp_measured_at is None:
            raise ValidationError({"bp_measured_at": "Say when the blood pressure was measured."})
        if bp_measured_at > now:
            raise ValidationError({"bp_measured_at": "This time is in the future."})
        if bp_measured_at < now - dt.timedelta(days=30):
            raise ValidationError(
                {"bp_measured_at": "Measure the blood pressure within the last 30 days."}
            )
    if substance_screen_score is not None and not substance_screen:
        raise ValidationError({"substance_screen": "Name the instrument the score comes from."})
    if substance_screen_score is not None and not 0 <= substance_screen_score <= 12:
        # DAST-10 0-10, AUDIT-C 0-12 [the instruments' own score ranges].
        raise ValidationError({"substance_screen_score": "Scores of these instruments are 0-12."})


@transaction.atomic
def screening_record(
    *,
    by: Membership,
    patient: Patient,
    protocol_code: str,
    protocol_title: str,
    drug: str,
    indication: str,
    diagnosis_icd10: str,
    diagnosis_text: str,
    answers: Mapping[str, Any],
    trials: Sequence[TrialInput] = (),
    psychotherapy_history: str = "",
    substance_screen: str = "",
    substance_screen_score: int | None = None,
    bp_measured_at: dt.datetime | None = None,
    baseline_scale_ids: Sequence[int] = (),
    notes: str = "",
) -> Screening:
    """Record a screening and its eligibility decision. The age comes from the date of birth and
    the count of adequate failed trials from ``trials`` (both marked as filled); an allergy to
    ketamine on the chart makes hypersensitivity "yes" whatever was answered."""
    _need(by, Perm.SCREENING_RECORD)
    _own(by, patient.clinic_id)
    if patient.is_archived:
        raise ValidationError("This patient is archived.")
    if not diagnosis_icd10.strip():
        raise ValidationError({"diagnosis_icd10": "Give the diagnosis code (ICD-10-CM)."})
    for name in answers:
        if name in DERIVED_FACTS:
            raise ValidationError(f"{rules.FACTS[name].label} is filled in, not answered.")
    _check_trials(trials)
    now = timezone.now()
    tz = by.clinic.tzinfo
    facts: dict[str, Any] = dict(answers)
    filled: dict[str, str] = {}
    facts["age_years"] = patient_age_years(patient, now.astimezone(tz).date())
    filled["age_years"] = "from the date of birth"
    facts["adequate_failed_antidepressant_trials"] = sum(
        1 for t in trials if t.adequate and t.current_episode and t.response in ("none", "partial")
    )
    filled["adequate_failed_antidepressant_trials"] = "from the prior trials listed"
    allergy = ketamine_allergy(patient=patient)
    if allergy:
        facts["hypersensitivity_ketamine"] = True
        filled["hypersensitivity_ketamine"] = f"from the allergy list ({allergy})"
    has_bp = facts.get("systolic_mmhg") is not None or facts.get("diastolic_mmhg") is not None
    _check_times_and_scores(
        now, bp_measured_at if has_bp else None, has_bp, substance_screen, substance_screen_score
    )
    ruleset = clinic_ruleset(clinic_id=patient.clinic_id)
    try:
        decision = rules.evaluate(
            facts,
            protocol_code=protocol_code,
            ruleset=ruleset,
            drug=drug,
            indication=indication,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    scales = list(ScaleResponse.objects.filter(pk__in=baseline_scale_ids, patient=patient))
    if len(scales) != len(set(baseline_scale_ids)):
        raise ValidationError({"baseline_scales": "Choose this patient's own scale responses."})
    screening = Screening.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        protocol_code=protocol_code,
        protocol_title=protocol_title,
        drug=drug,
        indication=indication,
        diagnosis_icd10=diagnosis_icd10.strip().upper(),
        diagnosis_text=diagnosis_text.strip(),
        psychotherapy_history=psychotherapy_history.strip(),
        substance_screen=substance_screen,
        substance_screen_score=substance_screen_score,
        bp_measured_at=bp_measured_at if has_bp else None,
        facts=facts,
        filled=filled,
        notes=notes.strip(),
        recorded_by_id=by.user_id,
        recorded_at=now,
    )
    screening.baseline_scales.set(scales)
    for t in trials:
        PriorTrial.objects.create(screening=screening, **asdict(t))
    EligibilityDecision.objects.create(
        screening=screening,
        outcome=decision.outcome,
        findings=[asdict(f) for f in decision.findings],
        ruleset_version=decision.ruleset_version,
        decided_at=now,
    )
    audit_record(
        event_type=EventType.SCREENING_RECORDED,
        actor=by,
        obj=screening,
        patient_id=patient.pk,
        extra={
            "protocol_code": protocol_code,
            "outcome": decision.outcome,
            "rules_fired": [f.rule_id for f in decision.findings],
            "ruleset_version": decision.ruleset_version,
        },
    )
    return screening


def decision_content(decision: EligibilityDecision) -> dict[str, Any]:
    """What an override signature is bound to."""
    return {
        "screening_id": decision.screening_id,
        "outcome": decision.outcome,
        "findings": decision.findings,
        "ruleset_version": decision.ruleset_version,
        "override_justification": decision.override_justification,
    }


def eligibility_override(
    *,
    by: Membership,
    decision: EligibilityDecision,
    justification: str,
    password: str,
    token: str,
) -> EligibilityDecision:
    """A prescriber overrides "not eligible" made of relative rules only, with a written
    justification and an e-signature (password and TOTP code again). Never a hard one."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, decision.screening.clinic_id)
    _check_overridable(decision)
    justification = justification.strip()
    if len(justification) < 20:
        raise ValidationError(
            {"justification": "Write the clinical justification (at least 20 characters)."}
        )
    # Outside the transaction: a failed attempt's audit event must stay.
    if not reauthenticate(
        membership=by, password=password, token=token, purpose="eligibility_override"
    ):
        raise ValidationError({"password": f"{REAUTH_REFUSED} The override was not recorded."})
    with transaction.atomic():
        locked = EligibilityDecision.objects.select_for_update().get(pk=decision.pk)
        _check_overridable(locked)
        locked.override_justification = justification
        locked.overridden_by_id = by.user_id
        locked.overridden_at = timezone.now()
        signature = signature_record(
            by=by,
            printed_name=by.user.display_name,
            obj=locked,
            content=decision_content(locked),
            meaning=SignatureMeaning.APPROVAL,
        )
        locked.override_signature = signature
        locked.save(
            update_fields=[
                "override_justification",
                "overridden_by",
                "overridden_at",
                "override_signature",
            ]
        )
        audit_record(
            event_type=EventType.ELIGIBILITY_OVERRIDDEN,
            actor=by,
            obj=locked,
            patient_id=locked.screening.patient_id,
            reason=justification,
            extra={
                "screening_id": locked.screening_id,
                "rules": [f["rule_id"] for f in locked.findings],
                "signature_id": signature.pk,
            },
        )
    return locked


def _check_overridable(decision: EligibilityDecision) -> None:
    if decision.overridden:
        raise ValidationError("This decision is already overridden.")
    if decision.outcome != Outcome.NOT_ELIGIBLE:
        raise ValidationError("Only a 'not eligible' decision can be overridden.")
    if decision.has_hard_finding:
        raise ValidationError(
            "A hard contraindication (or an unanswered question) cannot be overridden."
        )


@transaction.atomic
def rems_patient_enrol(
    *, by: Membership, patient: Patient, enrolled_on: dt.date, rems_patient_id: str
) -> RemsPatientEnrolment:
    """Record the patient's SPRAVATO REMS enrolment (done on the REMS site; recorded here)."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, patient.clinic_id)
    rems_patient_id = rems_patient_id.strip()
    if not rems_patient_id:
        raise ValidationError({"rems_patient_id": "Give the REMS patient ID."})
    today = timezone.now().astimezone(by.clinic.tzinfo).date()
    if enrolled_on > today:
        raise ValidationError({"enrolled_on": "The enrolment date is in the future."})
    if enrolled_on < patient.date_of_birth:
        raise ValidationError({"enrolled_on": "The enrolment date is before the birth date."})
    if RemsPatientEnrolment.objects.filter(patient=patient).exists():
        raise ValidationError("The patient's REMS enrolment is already recorded.")
    enrolment = RemsPatientEnrolment.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        enrolled_on=enrolled_on,
        rems_patient_id=rems_patient_id,
        enrolled_by_id=by.user_id,
        recorded_at=timezone.now(),
    )
    audit_record(
        event_type=EventType.REMS_PATIENT_ENROLLED,
        actor=by,
        obj=enrolment,
        patient_id=patient.pk,
        extra={"enrolled_on": enrolled_on.isoformat(), "rems_patient_id": rems_patient_id},
    )
    return enrolment


@transaction.atomic
def screening_policy_set(
    *, by: Membership, valid_days: int, rule_levels: Mapping[str, str]
) -> ScreeningPolicy:
    """A clinic admin sets how long a screening stays valid (1-365 days) and the level of each
    relative rule (relative, precaution or off); hard rules are refused."""
    _need(by, Perm.CLINIC_MANAGE)
    if not 1 <= valid_days <= 365:
        raise ValidationError({"valid_days": "Between 1 and 365 days."})
    try:
        rules.DEFAULT_RULESET.with_levels(rule_levels)
    except ValueError as exc:
        raise ValidationError({"rule_levels": str(exc)}) from None
    policy = ScreeningPolicy.objects.select_for_update().filter(clinic_id=by.clinic_id).first()
    old = (policy.valid_days, policy.rule_levels) if policy else (90, {})
    if policy is None:
        policy = ScreeningPolicy(clinic_id=by.clinic_id)
    policy.valid_days = valid_days
    policy.rule_levels = dict(rule_levels)
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        event_type=EventType.SCREENING_POLICY_UPDATED,
        actor=by,
        obj=policy,
        changes={"valid_days": (old[0], valid_days), "rule_levels": (old[1], dict(rule_levels))},
    )
    return policy


# --------------------------------------------------------------------------------------------------
# The clinic's SPRAVATO REMS healthcare-setting certification: kept on the clinic, changed only by
# a clinic admin, with a reason; the audit event holds the old and new values.

# FDA approved SPRAVATO (esketamine) with its REMS on 2019-03-05 [FDA approval letter, NDA 211243]:
# no setting was certified before that day.
REMS_START = dt.date(2019, 3, 5)
CERTIFICATION_FIELDS = (
    "rems_setting_id",
    "rems_certified_on",
    "rems_pulse_oximeter_on_site",
    "rems_authorised_representative",
)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


@transaction.atomic
def rems_certification_set(
    *,
    by: Membership,
    setting_id: str,
    certified_on: dt.date | None,
    pulse_oximeter_on_site: bool | None,
    authorised_representative: str,
    reason: str,
) -> Clinic:
    _need(by, Perm.CLINIC_MANAGE)
    errors: dict[str, str] = {}
    setting_id = setting_id.strip()
    representative = authorised_representative.strip()
    why = reason.strip()
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    if len(setting_id) > 64:
        errors["setting_id"] = "Keep the REMS setting ID under 64 characters."
    if len(representative) > 200:
        errors["authorised_representative"] = "Keep the name under 200 characters."
    if certified_on is not None:
        if certified_on > today:
            errors["certified_on"] = "The certification date is in the future."
        elif certified_on < REMS_START:
            errors["certified_on"] = (
                f"The SPRAVATO REMS began on {REMS_START:%Y-%m-%d}: give a date from then on."
            )
        elif not setting_id:
            errors["setting_id"] = "A certified setting has its REMS setting ID: give it."
    if not why:
        errors["reason"] = "Say why the certification details change."
    elif len(why) > 500:
        errors["reason"] = "Keep the reason under 500 characters."
    if errors:
        raise ValidationError(errors)
    clinic = Clinic.objects.select_for_update().get(pk=by.clinic_id)
    new = dict(
        zip(
            CERTIFICATION_FIELDS,
            (setting_id, certified_on, pulse_oximeter_on_site, representative),
            strict=True,
        )
    )
    changes = {f: (getattr(clinic, f), v) for f, v in new.items() if getattr(clinic, f) != v}
    if not changes:
        return clinic
    for field, (_, value) in changes.items():
        setattr(clinic, field, value)
    clinic.save(update_fields=list(changes))
    audit_record(
        event_type=EventType.CLINIC_UPDATED,
        actor=by,
        obj=clinic,
        reason=why,
        changes={f: (_plain(old), _plain(new)) for f, (old, new) in changes.items()},
    )
    return clinic
