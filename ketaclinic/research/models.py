"""The re-identification key of de-identified exports: patient -> random study id.

Safe Harbor (45 CFR 164.514(c)) allows a re-identification code only when it is not derived from
any identifier and the key is never disclosed: the id is drawn from ``secrets`` and this table is
never exported (docs/data-dictionary.md lists what is)."""

from __future__ import annotations

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
