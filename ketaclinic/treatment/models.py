"""Supervised treatment records: protocols as versioned data, courses, sessions and what happens in
them. Logic lives in the pure modules and the services; these models hold fields and constraints.
Signed sessions are locked: nothing of a signed session (checklist, decisions, dose, observations,
adverse events, PMF) is updated afterwards. A correction is an ``Amendment`` row with author, time
and reason; the original stays as it was (conventions section 4)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models

from ketaclinic.treatment.domain.protocol import Measure
from ketaclinic.treatment.domain.protocol import Protocol as PureProtocol
from ketaclinic.treatment.domain.protocol_json import protocol_from_dict

# --------------------------------------------------------------------------------------------
# Protocols

_PARSED: dict[str, PureProtocol] = {}
_PARSED_MAX = 256


def parsed_protocol(data: dict[str, Any]) -> PureProtocol:
    """``protocol_from_dict`` memoised on the canonical JSON of the data: a version's data never
    changes, and parsing (strict, typed) costs milliseconds on every reading otherwise."""
    key = json.dumps(data, sort_keys=True, separators=(",", ":"))
    found = _PARSED.get(key)
    if found is None:
        found = protocol_from_dict(data)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = found
    return found


class Protocol(models.Model):
    """A clinic's protocol: a name for a series of versions. The content lives in the versions."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=64)
    title = models.CharField(max_length=200)
    # The shipped library protocol this one was copied from, if any (library.SHIPPED_PROTOCOLS).
    library_code = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="protocol_code_per_clinic")
        ]

    def __str__(self) -> str:
        return self.title


class ProtocolVersion(models.Model):
    """One immutable version. ``data`` is ``protocol.protocol_to_dict`` of a valid protocol;
    ``.protocol`` parses it back into the pure dataclass. A change is a new version."""

    family = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    change_note = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["family_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["family", "number"], name="protocol_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.data.get('title', '?')} v{self.number}"

    @cached_property
    def protocol(self) -> PureProtocol:
        """The pure protocol dataclass (strictly parsed from ``data``)."""
        return parsed_protocol(self.data)

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))


# --------------------------------------------------------------------------------------------
# Clinic closures


class ClinicClosure(models.Model):
    """A day the clinic is closed (holiday, training day). Calendars skip it when generated.

    Never deleted: a closure added by mistake is cancelled (flag, reason, who, when) and its row
    stays. One closure in force per clinic and date; closing a day again after a cancellation
    adds a new row, so the cancelled one keeps its history."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            # One closure in force per clinic and date; cancelled rows stay beside it as history.
            models.UniqueConstraint(
                fields=["clinic", "date"],
                condition=models.Q(cancelled=False),
                name="closure_per_clinic_day",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="closure_needs_reason"),
            models.CheckConstraint(
                condition=models.Q(cancelled=False) | ~models.Q(cancelled_reason=""),
                name="cancelled_closure_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Closed {self.date.isoformat()}: {self.reason}"


# --------------------------------------------------------------------------------------------
# Courses and sessions


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Course(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="courses"
    )
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="courses"
    )
    indication = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    # Until screening exists (a later issue), enrolment rests on a recorded prescriber decision.
    decision_note = models.TextField()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    enrolled_at = models.DateTimeField()
    start_date = models.DateField()
    session_time = models.TimeField()
    default_chair = models.CharField(max_length=32, blank=True)
    # The oral antidepressant given with the course: required by protocols that say so
    # (esketamine MDSI, with an oral antidepressant [HCP]; clinical.md 12).
    concomitant_antidepressant = models.CharField(
        "Concomitant oral antidepressant", max_length=200, blank=True
    )
    # Frequencies chosen among a phase's alternatives, shortfalls the calendar could not place.
    chosen_frequencies = models.JSONField(default=dict, blank=True)
    calendar_notes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        indexes = [models.Index(fields=["clinic", "status"], name="course_clinic_status")]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.protocol_version}"


class SessionPhase(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    PRE_DOSE = "pre_dose", "Pre-dose"
    DOSING = "dosing", "Dosing"
    MONITORING = "monitoring", "Monitoring"
    READY_FOR_DISCHARGE = "ready_for_discharge", "Ready for discharge"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_PHASES = frozenset(
    {
        SessionPhase.SCHEDULED,
        SessionPhase.CHECKED_IN,
        SessionPhase.PRE_DOSE,
        SessionPhase.DOSING,
        SessionPhase.MONITORING,
        SessionPhase.READY_FOR_DISCHARGE,
    }
)


class TreatmentSession(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    # The version the session runs under (the course's at scheduling time).
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="sessions"
    )
    number = models.PositiveIntegerField()
    phase_code = models.CharField(max_length=32)  # the schedule phase (induction, ...)
    scheduled_at = models.DateTimeField()
    chair = models.CharField("Chair or room", max_length=32, blank=True)
    phase = models.CharField(
        max_length=24, choices=SessionPhase.choices, default=SessionPhase.SCHEDULED
    )
    status_reason = models.TextField(blank=True)
    moved_from = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    dose_started_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharge_criteria_met = models.JSONField(default=list, blank=True)
    escort = models.CharField("Escort or ride home", max_length=200, blank=True)
    discharge_note = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature = models.OneToOneField(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["scheduled_at"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="session_number_per_course"),
            models.CheckConstraint(
                condition=models.Q(phase__in=[p.value for p in SessionPhase]),
                name="session_phase_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(signed_at__isnull=True) | models.Q(signature__isnull=False),
                name="signed_session_has_signature",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "scheduled_at"], name="session_clinic_day")]

    def __str__(self) -> str:
        return f"Session {self.number} at {self.scheduled_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_locked(self) -> bool:
        return self.signed_at is not None


# --------------------------------------------------------------------------------------------
# In the session


class PregnancyStatus(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NEGATIVE_TEST = "negative_test", "Negative test today"
    NOT_PREGNANT_REPORTED = "not_pregnant_reported", "Not pregnant (patient report)"
    POSITIVE = "positive", "Pregnant or positive test"


class PreDoseChecklist(models.Model):
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="checklist"
    )
    # No food 2 h, no liquids 30 min before [DrOracle; Mayo Clinic; LADMH].
    fasting_confirmed = models.BooleanField()
    # Ride confirmed before dosing or reschedule [LADMH]; no driving until the next day [HCP].
    ride_home_confirmed = models.BooleanField()
    # Esketamine: nasal steroid/decongestant >= 1 h before [DrOracle; LADMH]. None: not relevant.
    nasal_medication_timing_ok = models.BooleanField(null=True, blank=True)
    pregnancy_status = models.CharField(max_length=24, choices=PregnancyStatus.choices)
    scales_reviewed = models.BooleanField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Checklist of {self.session_id}"


class DecisionKind(models.TextChoices):
    PROCEED_DESPITE_BP = "proceed_despite_bp", "Proceed despite pre-dose blood pressure"
    SUICIDALITY_REVIEW = "suicidality_review", "Review of a suicidality flag"
    DOSE_OVERRIDE = "dose_override", "Dose outside the protocol's range"
    SCALE_SKIPPED = "scale_skipped", "Pre-session scale skipped"
    OTHER = "other", "Other"


class DecisionOutcome(models.TextChoices):
    PROCEED = "proceed", "Proceed"
    HOLD = "hold", "Hold (do not dose today)"


class PrescriberDecision(models.Model):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField(max_length=32, choices=DecisionKind.choices)
    outcome = models.CharField(max_length=16, choices=DecisionOutcome.choices)
    reason = models.TextField()
    # What it is about, e.g. "scales.scaleresponse:42" or "bp:152/96".
    subject = models.CharField(max_length=100, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="decision_needs_reason")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.outcome}"


class DoseAdministration(models.Model):
    """The dose given. mg is exact Decimal; mg/kg and the weight used are kept with the weight's
    date. Product, lot and expiry are typed in until the controlled-substance ledger exists."""

    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="dose")
    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)
    dose_mg_per_kg = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_measured_at = models.DateTimeField(null=True, blank=True)
    product = models.CharField(max_length=200)
    lot_number = models.CharField(max_length=64)
    expiry_date = models.DateField()
    # The dose asked for (from the protocol, or typed) before rounding to a measurable volume;
    # ``dose_mg`` is what was given. Null on doses recorded before this was kept.
    requested_dose_mg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    # The stock the dose is drawn from (the vial, e.g. 10, 50 or 100 mg/mL) and the volume drawn.
    concentration_mg_per_ml = models.DecimalField(
        "Stock concentration (mg/mL)", max_digits=8, decimal_places=3, null=True, blank=True
    )
    volume_ml = models.DecimalField(
        "Volume drawn from the stock (mL)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    # IV: the bag or syringe the stock is diluted in, its final volume and concentration; the
    # pump runs the whole container over the infusion (domain/preparation.py).
    container = models.CharField(
        max_length=8, choices=[("bag", "Bag"), ("syringe", "Syringe")], blank=True
    )
    final_volume_ml = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    final_concentration_mg_per_ml = models.DecimalField(
        max_digits=9, decimal_places=4, null=True, blank=True
    )
    rate_ml_per_h = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    rate_mg_per_h = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    infusion_minutes = models.PositiveIntegerField(null=True, blank=True)
    device_count = models.PositiveSmallIntegerField(null=True, blank=True)
    device_times = models.JSONField(default=list, blank=True)  # ISO UTC instants, esketamine
    started_at = models.DateTimeField()
    override_reason = models.TextField(blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The witness's e-signature (meaning "witness"), bound to record.dose_content: the witness
    # re-authenticated at the chair with their own password and TOTP code.
    witness_signature = models.OneToOneField(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="dose_mg_positive"),
            # Never an undiluted 100 mg/mL vial as an IV final concentration (ceilings.py,
            # IV_FINAL_CONCENTRATION: at most 50 mg/mL).
            models.CheckConstraint(
                condition=models.Q(final_concentration_mg_per_ml__isnull=True)
                | models.Q(final_concentration_mg_per_ml__lte=Decimal("50")),
                name="dose_final_concentration_diluted",
            ),
            models.CheckConstraint(
                condition=models.Q(witnessed_by__isnull=True)
                | models.Q(witness_signature__isnull=False),
                name="witnessed_dose_has_signature",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dose_mg} mg"


class ObservationCode(models.TextChoices):
    BLOOD_PRESSURE = Measure.BLOOD_PRESSURE.value, "Blood pressure"
    HEART_RATE = Measure.HEART_RATE.value, "Heart rate"
    SPO2 = Measure.SPO2.value, "SpO2"
    RESPIRATORY_RATE = Measure.RESPIRATORY_RATE.value, "Respiratory rate"
    MOAA_S = Measure.MOAA_S.value, "MOAA/S"
    CADSS = Measure.CADSS.value, "CADSS"
    BPRS_PLUS = Measure.BPRS_PLUS.value, "BPRS positive items"
    PAIN_NRS = Measure.PAIN_NRS.value, "Pain NRS"
    IV_SITE = Measure.IV_SITE.value, "IV site check"
    NOTE = Measure.NOTE.value, "Observation note"


#: UCUM unit and LOINC code per observation code (conventions section 7). MOAA/S, CADSS and
#: BPRS+ have no LOINC code that we could confirm: a local code system is used for them.
OBSERVATION_CODING: dict[str, tuple[str, str]] = {
    "blood_pressure": ("mm[Hg]", "85354-9"),  # BP panel; systolic 8480-6, diastolic 8462-4
    "heart_rate": ("/min", "8867-4"),
    "spo2": ("%", "59408-5"),
    "respiratory_rate": ("/min", "9279-1"),
    "moaa_s": ("{score}", ""),
    "cadss": ("{score}", ""),
    "bprs_plus": ("{score}", ""),
    "pain_nrs": ("{score}", "72514-3"),
    "iv_site": ("", ""),
    "note": ("", ""),
}


class Observation(models.Model):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="observations"
    )
    code = models.CharField(max_length=24, choices=ObservationCode.choices)
    unit = models.CharField(max_length=16, blank=True)  # UCUM
    value = models.IntegerField(null=True, blank=True)
    systolic_mmhg = models.IntegerField(null=True, blank=True)
    diastolic_mmhg = models.IntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    measured_at = models.DateTimeField()
    # Derived at recording: whole minutes since dosing started (negative or None before dosing).
    minutes_since_dose = models.IntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["measured_at", "id"]
        indexes = [models.Index(fields=["session", "measured_at"], name="observation_session")]

    def __str__(self) -> str:
        return f"{self.code} {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.code == ObservationCode.BLOOD_PRESSURE:
            return f"{self.systolic_mmhg}/{self.diastolic_mmhg} mmHg"
        if self.value is not None:
            unit = {"mm[Hg]": "mmHg", "/min": "/min", "%": "%"}.get(self.unit, "")
            return f"{self.value} {unit}".strip()
        return self.text

    @property
    def loinc(self) -> str:
        return OBSERVATION_CODING.get(self.code, ("", ""))[1]


class AdverseEventType(models.TextChoices):
    # The coded list; clinical.md section 8.9.
    SEDATION_LOC = "sedation_loc", "Sedation or loss of consciousness"
    DISSOCIATION = "dissociation", "Dissociation"
    HYPERTENSION = "hypertension", "Hypertension (blood-pressure rise)"
    RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression or SpO2 drop"
    NAUSEA_VOMITING = "nausea_vomiting", "Nausea or vomiting"
    EMERGENCE_REACTION = "emergence_reaction", "Emergence reaction"
    URINARY_SYMPTOMS = "urinary_symptoms", "Urinary symptoms"
    HEADACHE = "headache", "Headache"
    DIZZINESS = "dizziness", "Dizziness"
    PSYCHIATRIC = "psychiatric", "Psychiatric (anxiety, agitation, suicidality)"
    OTHER = "other", "Other"


class AeSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AeOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    RESOLVING = "resolving", "Resolving"
    NOT_RESOLVED = "not_resolved", "Not resolved"
    RESOLVED_WITH_SEQUELAE = "resolved_with_sequelae", "Resolved with sequelae"
    FATAL = "fatal", "Fatal"
    # Seriousness criteria recorded as the outcome (issue 9): they raise a critical alert at once.
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Hospitalisation"
    UNKNOWN = "unknown", "Unknown"


class AdverseEvent(models.Model):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    event_type = models.CharField(max_length=32, choices=AdverseEventType.choices)
    description = models.TextField(blank=True)
    onset_at = models.DateTimeField()
    severity = models.CharField(max_length=16, choices=AeSeverity.choices)
    serious = models.BooleanField()
    action_taken = models.TextField()
    outcome = models.CharField(max_length=32, choices=AeOutcome.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["onset_at", "id"]

    def __str__(self) -> str:
        return self.get_event_type_display()


class Amendment(models.Model):
    """A change to a signed session: the original value stays where it was."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="amendments"
    )
    field = models.CharField(max_length=64)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="amendment_needs_reason")
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} -> {self.new_value!r}"


class RemsMonitoringForm(models.Model):
    """The SPRAVATO REMS Patient Monitoring Form of one esketamine session [PMF; REMS]. ``data``
    is the pure ``rems.PatientMonitoringForm`` as a JSON dict (dates as ISO strings)."""

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_form"
    )
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    layout = models.CharField(max_length=100)  # rems.PmfLayout.name: the form keeps its version
    data = models.JSONField(default=dict)
    # Field name -> the record the system filled it from (shown with "decision support: check
    # before use"); a field a person entered or changed has no entry.
    sources = models.JSONField(default=dict, blank=True)
    due_date = models.DateField()
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmation_number = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["due_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True) | ~models.Q(confirmation_number=""),
                name="submitted_pmf_has_confirmation",
            )
        ]
        indexes = [models.Index(fields=["clinic", "submitted_at"], name="pmf_clinic_open")]

    def __str__(self) -> str:
        return f"PMF of session {self.session_id}"

    @property
    def dose_mg(self) -> Decimal | None:
        value: Any = self.data.get("dose")
        try:  # an odd stored value ("84 mg") reads as no dose, never an error
            return Decimal(str(value)) if value and value != "other" else None
        except InvalidOperation:
            return None


from ketaclinic.treatment.revisions import ChecklistRevision  # noqa: E402,F401  (600-line limit)
