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


class CohortRefresh(models.Model):
    """When the clinic's cohort summary (the two tables below) was last rebuilt."""

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="+", primary_key=True
    )
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = "cohort summary refresh"

    def __str__(self) -> str:
        return f"cohort summary of clinic {self.clinic_id}"


class CohortCourseFact(models.Model):
    """Derived from the treatment tables by ``research.summary.rebuild`` (never edited): per
    course, one ``COURSE`` row; per protocol version its dosed sessions were given under, the
    sessions and mg (``EXPOSURE``); per adverse-event type of its dosed sessions, the count
    (``EVENT``). The course's filter facts are copied onto every row. Not shown row by row."""

    COURSE, EXPOSURE, EVENT = 0, 1, 2

    clinic_id = models.BigIntegerField()
    course_id = models.BigIntegerField()
    patient_id = models.UUIDField()
    protocol_version_id = models.BigIntegerField()
    indication = models.CharField(max_length=64)
    sex = models.CharField(max_length=16)
    date_of_birth = models.DateField()
    start_date = models.DateField()
    kind = models.SmallIntegerField()
    session_version_id = models.BigIntegerField(null=True)
    event_type = models.CharField(max_length=64, blank=True)
    n = models.IntegerField()
    mg = models.DecimalField(max_digits=14, decimal_places=3, null=True)

    class Meta:
        indexes = [models.Index(fields=["clinic_id", "kind"], name="cohort_course_idx")]

    def __str__(self) -> str:
        return f"course fact {self.pk}"


class CohortOutcomeFact(models.Model):
    """Derived (``research.summary.rebuild``): per dosed session after a course's first and
    outcome scale, the latest final score at or before the dose measured against the course
    baseline, as the scale's rule reads it (responded, remitted), with the course's filter facts.
    """

    clinic_id = models.BigIntegerField()
    scale = models.CharField(max_length=16)
    course_id = models.BigIntegerField()
    patient_id = models.UUIDField()
    protocol_version_id = models.BigIntegerField()
    indication = models.CharField(max_length=64)
    sex = models.CharField(max_length=16)
    date_of_birth = models.DateField()
    start_date = models.DateField()
    number = models.IntegerField()
    week = models.IntegerField()
    responded = models.SmallIntegerField()
    remitted = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["clinic_id", "scale"], name="cohort_outcome_idx")]

    def __str__(self) -> str:
        return f"outcome fact {self.pk}"
