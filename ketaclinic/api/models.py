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


class ExportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ApiExport(models.Model):
    """A de-identified export started through the API, written into the var directory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16)  # csv, parquet or fhir
    status = models.CharField(max_length=16, choices=ExportStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    files = models.JSONField(default=dict, blank=True)  # file name -> rows (or resources)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"API export {self.pk} ({self.kind}, {self.status})"
