"""Surveillance records: that an item (urinalysis, liver tests, a review of benefit) was done,
on which date, with which result; and a clinic's surveillance intervals. A record is never
deleted or changed: one entered by mistake is marked so with a reason, and stays readable."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketaclinic.surveillance.rules.due import DEFAULT_POLICY, ITEM_LABELS, ItemKind
from ketaclinic.surveillance.rules.indicators import DEFAULT_THRESHOLDS


class Result(models.TextChoices):
    NORMAL = "normal", "Normal"
    ABNORMAL = "abnormal", "Abnormal: needs follow-up"
    BENEFIT = "benefit", "Benefit: continue"
    NO_BENEFIT = "no_benefit", "Benefit unclear: reconsider the course"


#: The results each kind may have (a review of benefit is not "normal").
RESULTS_BY_KIND: dict[str, tuple[str, ...]] = {
    ItemKind.URINARY.value: (Result.NORMAL, Result.ABNORMAL),
    ItemKind.LIVER.value: (Result.NORMAL, Result.ABNORMAL),
    ItemKind.BENEFIT_REVIEW.value: (Result.BENEFIT, Result.NO_BENEFIT),
}

KIND_CHOICES = [(k.value, label) for k, label in ITEM_LABELS.items()]


class SurveillanceRecord(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="surveillance_records"
    )
    kind = models.CharField(max_length=24, choices=KIND_CHOICES)
    done_on = models.DateField()
    result = models.CharField(max_length=16, choices=Result.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # Entered in error: the row stays, flagged, with who, when and why.
    in_error = models.BooleanField(default=False)
    in_error_reason = models.TextField(blank=True)
    in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-done_on", "-recorded_at"]
        indexes = [models.Index(fields=["patient", "kind"], name="surveillance_patient_kind")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(in_error=False) | ~models.Q(in_error_reason=""),
                name="surveillance_in_error_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in ItemKind]),
                name="surveillance_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.done_on.isoformat()}"


class SurveillancePolicy(models.Model):
    """A clinic's intervals and indicator thresholds; without a row the defaults of
    ``rules.due.Policy`` and ``rules.indicators.Thresholds`` apply (unverified, see there)."""

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    urinary_interval_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_POLICY.urinary_interval_weeks
    )
    liver_interval_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_POLICY.liver_interval_weeks
    )
    induction_weeks = models.PositiveSmallIntegerField(default=DEFAULT_POLICY.induction_weeks)
    review_interval_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_POLICY.review_interval_weeks
    )
    escalation_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_THRESHOLDS.escalation_percent
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Surveillance settings of {self.clinic_id}"
