"""Screening before a course, the eligibility decision with its override, and the esketamine REMS
patient enrolment. Nothing here is updated in place: a new screening replaces an old one, and an
override is a signed addition to a decision, never a change of its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ScreeningPolicy(models.Model):
    """A clinic's screening settings: how long a decision stays valid for enrolment and the level
    of each relative rule it changes (``rules.RuleSet.with_levels``)."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="screening_policy"
    )
    valid_days = models.PositiveIntegerField("Screening valid for (days)", default=90)
    rule_levels = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_days__gte=1, valid_days__lte=365),
                name="screening_valid_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"Screening settings of clinic {self.clinic_id}"


class SubstanceScreen(models.TextChoices):
    NOT_DONE = "", "Not done"
    DAST10 = "dast10", "DAST-10"
    AUDIT_C = "audit_c", "AUDIT-C"
    TAPS = "taps", "TAPS tool"


class Screening(models.Model):
    """An intake screening for one intended protocol. ``facts`` holds the rule engine's facts as
    answered (``None`` = not assessed); ``filled`` names the facts the system filled and from
    where (e.g. age from the date of birth)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="screenings"
    )
    protocol_code = models.SlugField(max_length=64)
    protocol_title = models.CharField(max_length=200)
    drug = models.CharField(max_length=32)
    indication = models.CharField(max_length=64)
    diagnosis_icd10 = models.CharField("Diagnosis (ICD-10-CM)", max_length=8)
    diagnosis_text = models.CharField("Diagnosis", max_length=200)
    psychotherapy_history = models.TextField(blank=True)
    substance_screen = models.CharField(
        "Substance-use screening instrument",
        max_length=16,
        choices=SubstanceScreen.choices,
        blank=True,
    )
    substance_screen_score = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_measured_at = models.DateTimeField("Blood pressure measured at", null=True, blank=True)
    facts = models.JSONField(default=dict)
    filled = models.JSONField(default=dict, blank=True)
    baseline_scales = models.ManyToManyField("scales.ScaleResponse", blank=True, related_name="+")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["patient", "-recorded_at"], name="screening_patient_idx")]

    def __str__(self) -> str:
        return f"Screening {self.pk} for {self.protocol_title}"


class TrialResponse(models.TextChoices):
    NONE = "none", "No response"
    PARTIAL = "partial", "Partial response"
    RESPONSE = "response", "Response"
    NOT_TOLERATED = "not_tolerated", "Stopped: not tolerated"


class PriorTrial(models.Model):
    """One prior antidepressant trial. It counts towards treatment resistance when it was adequate
    (dose and duration) and in the current episode, and the response was none or partial."""

    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="trials")
    drug = models.CharField(max_length=100)
    dose_mg_per_day = models.DecimalField(max_digits=6, decimal_places=1)
    weeks = models.PositiveSmallIntegerField("Duration (weeks)")
    adequate = models.BooleanField("Adequate dose and duration")
    current_episode = models.BooleanField(default=True)
    response = models.CharField(max_length=16, choices=TrialResponse.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weeks__gte=1, weeks__lte=520), name="prior_trial_weeks_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose_mg_per_day} mg/day for {self.weeks} weeks"

    @property
    def counts_as_failed(self) -> bool:
        return (
            self.adequate
            and self.current_episode
            and self.response in (TrialResponse.NONE, TrialResponse.PARTIAL)
        )


class Outcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    PRECAUTIONS = "precautions", "Eligible with precautions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class EligibilityDecision(models.Model):
    """The rule engine's answer for a screening, with every rule that fired and the rule set
    version. A prescriber may override a "not eligible" made only of relative rules, with a
    justification and an e-signature; hard contraindications cannot be overridden."""

    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    findings = models.JSONField(default=list)
    ruleset_version = models.CharField(max_length=200)
    decided_at = models.DateTimeField()
    override_justification = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    override_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[o.value for o in Outcome]),
                name="eligibility_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(overridden_at__isnull=True)
                | (models.Q(outcome="not_eligible") & ~models.Q(override_justification="")),
                name="eligibility_override_justified",
            ),
        ]

    def __str__(self) -> str:
        return self.effective_label

    @property
    def overridden(self) -> bool:
        return self.overridden_at is not None

    @property
    def has_hard_finding(self) -> bool:
        return any(f.get("hard") for f in self.findings)

    @property
    def permits_enrolment(self) -> bool:
        return self.outcome != Outcome.NOT_ELIGIBLE or self.overridden

    @property
    def effective_label(self) -> str:
        if self.overridden:
            return "Not eligible: overridden by the prescriber"
        return Outcome(self.outcome).label


class RemsPatientEnrolment(models.Model):
    """The patient's SPRAVATO REMS enrolment, needed before the first outpatient dose [REMS]."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="rems_enrolment"
    )
    enrolled_on = models.DateField()
    rems_patient_id = models.CharField("REMS patient ID", max_length=64)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.rems_patient_id
