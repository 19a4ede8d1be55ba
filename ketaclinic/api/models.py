"""API tokens and the exports started through the API.

A token is stored as the SHA-256 of its secret only (the secret is 32 random bytes, so a fast hash
is enough: nothing can be guessed from it, and no slow hash is needed as for a password; OWASP ASVS
3.5.2/2.9). The secret is shown once, at creation. A token acts in one membership: the user's role
there is read at every request, so a role change or a deactivated membership takes effect at the
next request."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    secret_hash = models.CharField(max_length=64, unique=True)  # SHA-256 hex of the secret
    prefix = models.CharField(max_length=12)  # the secret's first characters, to recognise it
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"API token {self.pk} ({self.name})"


class ExportKind(models.TextChoices):
    CSV = "csv", "CSV tables"
    PARQUET = "parquet", "Parquet tables"
    FHIR = "fhir", "FHIR NDJSON"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being prepared"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "File removed after the retention period"


class ApiExport(models.Model):
    """An export of the clinic's data, started through the API or the exports page and prepared by
    the background worker (``api.export_jobs``) into the var directory, then zipped for download.
    De-identified (researchers and clinic admins) or, for moving patients to another clinic's
    system, identified FHIR (clinic admins only, with a reason)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    identified = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)  # why an identified export was made
    status = models.CharField(max_length=16, choices=ExportStatus.choices)
    started_at = models.DateTimeField()  # when it was asked for
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress of the running attempt: rows (or resources) written and the estimated total,
    # written by the worker at most every couple of seconds in a short transaction of its own.
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    files = models.JSONField(default=dict, blank=True)  # file name -> rows (or resources)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)  # of the zip
    error = models.TextField(blank=True)  # in words; never a file path or patient data
    # Cancelled from the exports page (the worker stops at its next progress write).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The zip removed by the daily retention job (the row stays, status "expired").
    expired_at = models.DateTimeField(null=True, blank=True)
    # When an identified export's "patient viewed" events were written: once per export, however
    # many attempts the job takes (set in the same transaction as the events).
    reads_audited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "-started_at"], name="api_export_clinic_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(identified=False) | models.Q(kind="fhir"),
                name="api_export_identified_is_fhir",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.status})"

    @property
    def active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
