"""Stored rating-scale responses, a clinic's licensed item text, and self-report links.

A response is never edited: a correction is a new row that ``amends`` the old one (which becomes
``amended``) with a reason, so the original stays readable (conventions.md section 4, care's
final/amended model). Scoring is done by the pure library (``ketaclinic.scales.score``) inside the
service that records the response; total, band, subscores and flags are stored with the scale
version they were computed under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ResponseSource(models.TextChoices):
    CLINIC = "clinic", "Entered in clinic"
    SELF_REPORT = "self_report", "Patient self-report"


class ResponseStatus(models.TextChoices):
    FINAL = "final", "Final"
    AMENDED = "amended", "Amended (corrected by a later version)"


class ScaleResponse(models.Model):
    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="scale_responses"
    )
    # Always the patient's clinic (set by the service). Kept on the row so that clinic-wide outcome
    # queries read one table through one index.
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=32)
    scale_version = models.CharField(max_length=16)
    answers = models.JSONField(help_text="Every item answer in item order; null = not answered")
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    subscores = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)
    effective_at = models.DateTimeField(help_text="The time the answers refer to")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for a patient's self-report",
    )
    source = models.CharField(max_length=16, choices=ResponseSource.choices)
    status = models.CharField(
        max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.FINAL
    )
    # One correction per response: the chain of versions is linear.
    amends = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by"
    )
    amend_reason = models.TextField(blank=True)
    self_report_link = models.ForeignKey(
        "scales.SelfReportLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
    )

    class Meta:
        ordering = ["-effective_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=[s.value for s in ResponseSource]),
                name="scaleresponse_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ResponseStatus]),
                name="scaleresponse_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amends__isnull=True) | ~models.Q(amend_reason=""),
                name="scaleresponse_amendment_needs_reason",
            ),
            # Submitting a self-report twice cannot store two responses for the same scale.
            models.UniqueConstraint(
                fields=["self_report_link", "code"],
                condition=models.Q(self_report_link__isnull=False, amends__isnull=True),
                name="scaleresponse_one_per_link_and_code",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "code", "effective_at"], name="scaleresp_patient_idx"),
            models.Index(
                fields=["clinic", "code", "status", "patient", "effective_at"],
                name="scaleresp_outcome_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.total} ({self.effective_at:%Y-%m-%d})"

    @property
    def is_final(self) -> bool:
        return self.status == ResponseStatus.FINAL


class LicensedScaleText(models.Model):
    """A clinic's licensed wording of a licensed scale, as validated by ``parse_item_text``.

    Rows are kept; the newest row of a (clinic, code) is the one in use.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=32)
    version = models.CharField(max_length=16)
    language = models.CharField(max_length=35)
    document = models.JSONField(help_text="The item-text file as loaded")
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-loaded_at", "-id"]
        indexes = [models.Index(fields=["clinic", "code"], name="scaletext_clinic_code_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.language} ({self.loaded_at:%Y-%m-%d})"


class SelfReportLink(models.Model):
    """A single-use link a patient opens without signing in. Only the SHA-256 of its token is
    stored; the token itself is shown once, to the staff member who sends it."""

    id = models.BigAutoField(primary_key=True)
    token_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="self_report_links"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    codes = models.JSONField(help_text="Scale codes to answer, in order")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Form submissions through this link, valid or not (rate limit per token).
    attempt_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "used_at"], name="selfreport_open_idx")]

    def __str__(self) -> str:
        return f"self-report {self.pk} ({', '.join(self.codes)})"
