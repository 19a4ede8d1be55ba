"""The patient registry. Nothing here is ever hard-deleted: records are archived or marked entered in
error, and every change keeps the old value in the audit trail (21 CFR 11.10(e))."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class HepaticImpairment(models.TextChoices):
    """Esketamine PI 8.6 (clinical.md 12): moderate (Child-Pugh B) may need longer monitoring;
    severe (Child-Pugh C) is not recommended. Used by ``treatment.domain.hepatic``."""

    NONE = "none", "None"
    MILD = "mild", "Mild (Child-Pugh A)"
    MODERATE = "moderate", "Moderate (Child-Pugh B)"
    SEVERE = "severe", "Severe (Child-Pugh C)"
    UNKNOWN = "unknown", "Unknown"


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("Medical record number", max_length=32)
    given_name = models.CharField("Given name", max_length=100)
    family_name = models.CharField("Family name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField("Date of birth")
    sex = models.CharField(max_length=16, choices=Sex.choices)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField("Street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=64, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    emergency_contact_relation = models.CharField(max_length=64, blank=True)
    notes = models.TextField(blank=True)
    hepatic_impairment = models.CharField(
        "Hepatic impairment",
        max_length=16,
        choices=HepaticImpairment.choices,
        default=HepaticImpairment.UNKNOWN,
    )
    # Filled by the service from the names (``rules.search_key``): case folded for any script and
    # without accents, because SQLite's LIKE/lower() fold ASCII only. Never typed by anyone.
    search_name = models.CharField(max_length=420, blank=True, editable=False)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(sex__in=[s.value for s in Sex]), name="patient_sex_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(hepatic_impairment__in=[h.value for h in HepaticImpairment]),
                name="patient_hepatic_impairment_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class _ChartEntry(models.Model):
    """Common columns of a chart entry: who recorded it, when, and its status."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=24, choices=RecordStatus.choices, default=RecordStatus.ACTIVE
    )
    status_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class MeasuredAtFilled(models.TextChoices):
    """Where ``measured_at`` came from when nobody gave the time of the measurement."""

    GIVEN = "", "Given with the measurement"
    FILE_DATE = "file_date", "Date from the import file; time of day not given"
    IMPORT_TIME = "import_time", "Recorded at import; the measurement date was not given"


class WeightMeasurement(_ChartEntry):
    """A dated weight. The entered value and unit are kept beside the kg used for dosing.
    ``measured_at_filled`` marks a time the system filled in, and from where (an import)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    measured_at = models.DateTimeField()
    measured_at_filled = models.CharField(
        max_length=16, choices=MeasuredAtFilled.choices, default="", blank=True
    )
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    entered_value = models.DecimalField(max_digits=6, decimal_places=1)
    entered_unit = models.CharField(max_length=4, choices=[("kg", "kg"), ("lb", "lb")])
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gte=Decimal("20"), weight_kg__lte=Decimal("400")),
                name="weight_kg_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg"


class HeightMeasurement(_ChartEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="heights")
    measured_at = models.DateTimeField()
    height_cm = models.DecimalField(max_digits=4, decimal_places=1)
    entered_value = models.DecimalField(max_digits=5, decimal_places=1)
    entered_unit = models.CharField(max_length=4, choices=[("cm", "cm"), ("in", "in")])
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(height_cm__gte=Decimal("50"), height_cm__lte=Decimal("250")),
                name="height_cm_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.height_cm} cm"


class Diagnosis(_ChartEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=8)
    text = models.CharField(max_length=200)
    diagnosed_on = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-diagnosed_on", "icd10_code"]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.text}"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class Allergy(_ChartEntry):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=200)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(
        max_length=16, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN
    )

    class Meta:
        ordering = ["substance"]

    def __str__(self) -> str:
        return self.substance


class Medication(_ChartEntry):
    """A current or past medication, with the classes the esketamine REMS monitoring form asks about."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose_text = models.CharField("Dose and frequency", max_length=200, blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    is_benzodiazepine = models.BooleanField("Benzodiazepine", default=False)
    is_non_benzo_sedative = models.BooleanField(
        "Non-benzodiazepine sedative-hypnotic", default=False
    )
    is_psychostimulant = models.BooleanField("Psychostimulant", default=False)
    is_maoi = models.BooleanField("MAOI", default=False)
    is_opioid = models.BooleanField("Opioid", default=False)

    class Meta:
        ordering = ["stopped_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rems_flags(self) -> list[str]:
        labels = {
            "is_benzodiazepine": "benzodiazepine",
            "is_non_benzo_sedative": "non-benzodiazepine sedative-hypnotic",
            "is_psychostimulant": "psychostimulant",
            "is_maoi": "MAOI",
            "is_opioid": "opioid",
        }
        return [label for field, label in labels.items() if getattr(self, field)]
