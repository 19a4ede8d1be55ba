"""The re-identification key of de-identified exports: patient -> random study id.

Safe Harbor (45 CFR 164.514(c)) allows a re-identification code only when it is not derived from
any identifier and the key is never disclosed: the id is drawn from ``secrets`` and this table is
never exported (docs/data-dictionary.md lists what is)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StudyId(models.Model):
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", primary_key=True
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    study_id = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "study id"

    def __str__(self) -> str:
        return self.study_id


class ImportKind(models.TextChoices):
    PATIENTS = "patients", "Patients"
    RESPONSES = "responses", "Historical scale responses"


class ImportBatch(models.Model):
    """One import of one file into one clinic: who, when, what and how many rows (no row content).

    Keyed by the file's SHA-256: an interrupted import of the same file (``finished_at`` empty) is
    resumed by the next run, which continues this batch after ``last_row`` (the last row of the
    file written by a committed chunk); a row at or before it is reported as already imported.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    rows_imported = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)  # already in the clinic (a re-run)
    rows_rejected = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    last_row = models.PositiveIntegerField(default=0)  # of the file, the header being row 1
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "kind", "file_sha256"], name="importbatch_file_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk}"


class ImportedResponse(models.Model):
    """Marks a scale response as historical, imported from another system (not entered here)."""

    response = models.OneToOneField(
        "scales.ScaleResponse", on_delete=models.PROTECT, related_name="+", primary_key=True
    )
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="responses")

    def __str__(self) -> str:
        return f"imported response {self.response_id}"
