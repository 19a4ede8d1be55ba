"""One inbox for every safety signal: suicidal-ideation flags, blood-pressure and SpO2 alerts,
sedation, REMS deadlines, stock expiry, surveillance items. An alert stays open until a person with
the right role acknowledges it with a note; it is never deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AlertKind(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "Suicidal ideation reported"
    SUICIDE_RISK = "suicide_risk", "Suicide-risk screen positive"
    BLOOD_PRESSURE = "blood_pressure", "Blood pressure past threshold"
    HYPERTENSIVE_CRISIS = "hypertensive_crisis", "Hypertensive crisis"
    RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory rate below the limit"
    OXYGEN_SATURATION = "oxygen_saturation", "SpO2 past threshold"
    HEART_RATE = "heart_rate", "Heart rate past threshold"
    SEDATION = "sedation", "Sedation"
    LOSS_OF_CONSCIOUSNESS = "loss_of_consciousness", "Loss of consciousness"
    DISSOCIATION = "dissociation", "Dissociation"
    SERIOUS_ADVERSE_EVENT = "serious_adverse_event", "Serious adverse event"
    REMS_DEADLINE = "rems_deadline", "REMS form deadline"
    STOCK = "stock", "Controlled-substance stock"
    SURVEILLANCE = "surveillance", "Safety surveillance due"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    INFO = "info", "Information"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertSource:
    """What raised an alert: ``Alert.source_type`` with ``source_id`` names the row. One list, so
    that the app that raises an alert and the app that counts them agree on the words."""

    SCALE_RESPONSE = "scales.scaleresponse"
    OBSERVATION = "treatment.observation"
    ADVERSE_EVENT = "treatment.adverseevent"
    REMS_FORM = "treatment.remsmonitoringform"
    # The controlled-substance ledger (issue 12): source_id is "<pk>:<reason>".
    STOCK_CONTAINER = "inventory.container"  # expiring, open too long
    STOCK_COUNT_LINE = "inventory.countline"  # count discrepancy
    STOCK_ENTRY = "inventory.ledgerentry"  # unwitnessed waste
    STOCK_LOSS_REPORT = "inventory.lossreport"  # notice or Form 106 overdue


class Alert(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    # What raised it: an app-label.model string and a primary key, e.g. "scales.scaleresponse", "42".
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"],
                condition=~models.Q(source_id=""),
                name="one_alert_per_source_and_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | ~models.Q(acknowledgement_note=""),
                name="acknowledgement_needs_note",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "acknowledged_at"], name="alert_open_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
