"""The audit trail: an append-only, hash-chained log of every change and every view of patient data.

Sources: 21 CFR 11.10(e) (who, when, old and new value, never hiding the prior value); 45 CFR
170.315(d)(2) (the technology cannot change, overwrite or delete entries and detects alteration);
OWASP ASVS 8.3.5 (audit sensitive reads by id, never the data).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EventType(models.TextChoices):
    # accounts
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    LOGOUT = "auth.logout", "Signed out"
    TOTP_ENROLLED = "auth.totp_enrolled", "Two-factor device enrolled"
    TOTP_FAILED = "auth.totp_failed", "Two-factor code refused"
    SESSION_EXPIRED = "auth.session_expired", "Session expired"
    CLINIC_CREATED = "clinic.created", "Clinic created"
    CLINIC_UPDATED = "clinic.updated", "Clinic updated"
    USER_CREATED = "user.created", "User created"
    USER_UPDATED = "user.updated", "User updated"
    MEMBERSHIP_CREATED = "membership.created", "Role granted"
    MEMBERSHIP_UPDATED = "membership.updated", "Role changed"
    CLINIC_SWITCHED = "clinic.switched", "Active clinic switched"
    MEMBERSHIP_DEACTIVATED = "membership.deactivated", "Role deactivated"
    MEMBERSHIP_REACTIVATED = "membership.reactivated", "Role reactivated"
    PASSWORD_CHANGED = "auth.password_changed", "Password changed by its owner"
    TEMPORARY_PASSWORD_SET = "user.temporary_password_set", "Temporary password set by an admin"
    SECOND_FACTOR_RESET = "user.second_factor_reset", "Two-factor device reset by an admin"
    SESSIONS_ENDED = "auth.sessions_ended", "Signed out everywhere"
    # patients
    PATIENT_CREATED = "patient.created", "Patient created"
    PATIENT_UPDATED = "patient.updated", "Patient updated"
    PATIENT_VIEWED = "patient.viewed", "Patient record viewed"
    PATIENT_SEARCHED = "patient.searched", "Patient list searched"
    PATIENT_ARCHIVED = "patient.archived", "Patient archived"
    MEASUREMENT_RECORDED = "patient.measurement_recorded", "Measurement recorded"
    MEASUREMENT_CORRECTED = "patient.measurement_corrected", "Measurement corrected"
    DIAGNOSIS_RECORDED = "patient.diagnosis_recorded", "Diagnosis recorded"
    DIAGNOSIS_UPDATED = "patient.diagnosis_updated", "Diagnosis updated"
    ALLERGY_RECORDED = "patient.allergy_recorded", "Allergy recorded"
    ALLERGY_UPDATED = "patient.allergy_updated", "Allergy updated"
    MEDICATION_RECORDED = "patient.medication_recorded", "Medication recorded"
    MEDICATION_UPDATED = "patient.medication_updated", "Medication updated"
    # audit
    AUDIT_EXPORTED = "audit.exported", "Audit trail exported"
    SIGNATURE_APPLIED = "audit.signature_applied", "Record signed"
    REAUTH_FAILED = "auth.reauth_failed", "Re-authentication for a signature failed"
    # alerts
    ALERT_RAISED = "alert.raised", "Alert raised"
    ALERT_ACKNOWLEDGED = "alert.acknowledged", "Alert acknowledged"
    # scales (issue 3)
    SCALE_RESPONSE_RECORDED = "scale.response_recorded", "Rating scale recorded"
    SCALE_RESPONSE_AMENDED = "scale.response_amended", "Rating scale corrected"
    SCALE_RESPONSE_VIEWED = "scale.response_viewed", "Rating scale viewed"
    SELF_REPORT_LINK_CREATED = "scale.self_report_link_created", "Self-report link sent"
    SELF_REPORT_SUBMITTED = "scale.self_report_submitted", "Self-report submitted"
    SCALE_TEXT_LOADED = "scale.text_loaded", "Licensed scale text loaded"
    OUTCOMES_EXPORTED = "scale.outcomes_exported", "Clinic outcomes exported"
    # treatment (issue 4)
    PROTOCOL_CREATED = "treatment.protocol_created", "Protocol created"
    PROTOCOL_VERSIONED = "treatment.protocol_versioned", "Protocol version created"
    COURSE_ENROLLED = "treatment.course_enrolled", "Patient enrolled in a course"
    COURSE_UPDATED = "treatment.course_updated", "Course updated"
    SESSION_SCHEDULED = "treatment.session_scheduled", "Session scheduled"
    SESSION_UPDATED = "treatment.session_updated", "Session moved, missed or cancelled"
    SESSION_PHASE_CHANGED = "treatment.session_phase_changed", "Session phase changed"
    CHECKLIST_RECORDED = "treatment.checklist_recorded", "Pre-dose checklist recorded"
    PRESCRIBER_DECISION = "treatment.prescriber_decision", "Prescriber decision recorded"
    DOSE_RECORDED = "treatment.dose_recorded", "Dose recorded"
    OBSERVATION_RECORDED = "treatment.observation_recorded", "Observation recorded"
    ADVERSE_EVENT_RECORDED = "treatment.adverse_event_recorded", "Adverse event recorded"
    SESSION_DISCHARGED = "treatment.session_discharged", "Patient discharged"
    SESSION_SIGNED = "treatment.session_signed", "Session signed"
    SESSION_AMENDED = "treatment.session_amended", "Signed session amended"
    REMS_FORM_SUBMITTED = "treatment.rems_form_submitted", "REMS monitoring form submitted"
    CLOSURE_ADDED = "treatment.closure_added", "Clinic closure added"
    CLOSURE_CANCELLED = "treatment.closure_cancelled", "Clinic closure cancelled"
    DOSE_WITNESS_FAILED = "treatment.dose_witness_failed", "Dose witness sign-off refused"
    # screening
    SCREENING_RECORDED = "screening.recorded", "Screening recorded"
    ELIGIBILITY_OVERRIDDEN = "screening.eligibility_overridden", "Eligibility overridden"
    REMS_PATIENT_ENROLLED = "screening.rems_patient_enrolled", "Patient enrolled in the REMS"
    SCREENING_POLICY_UPDATED = "screening.policy_updated", "Screening settings changed"
    # surveillance (issue 11)
    SURVEILLANCE_RECORDED = "surveillance.recorded", "Surveillance item recorded"
    SURVEILLANCE_IN_ERROR = "surveillance.in_error", "Surveillance record marked entered in error"
    SURVEILLANCE_POLICY_UPDATED = "surveillance.policy_updated", "Surveillance settings changed"
    # inventory (issue 12)
    STOCK_ENTRY_RECORDED = "inventory.entry_recorded", "Controlled-substance ledger entry"
    STOCK_RECEIVED = "inventory.received", "Controlled substance received"
    STOCK_WITNESS_FAILED = "inventory.witness_failed", "Stock witness sign-off refused"
    STOCK_COUNT_RECORDED = "inventory.count_recorded", "Stock count recorded"
    STOCK_DISCREPANCY_RESOLVED = "inventory.discrepancy_resolved", "Count discrepancy resolved"
    STOCK_LOSS_REPORT_UPDATED = "inventory.loss_report_updated", "Loss or theft report updated"
    STOCK_INVENTORY_TAKEN = "inventory.inventory_taken", "Initial or biennial inventory taken"
    STOCK_SETUP_CHANGED = "inventory.setup_changed", "Product or storage location added"

    # ---- Reads of patient data and account protection (issue 10: access hardening). Written by
    # ---- core.middleware.ReadAuditMiddleware, one per response that showed patient data (ids
    # ---- only), and by the sign-in and step-up throttles. Kept together to merge cleanly.
    SESSION_VIEWED = "treatment.session_viewed", "Treatment session viewed"
    COURSE_VIEWED = "treatment.course_viewed", "Course viewed"
    REMS_FORM_VIEWED = "treatment.rems_form_viewed", "REMS monitoring form viewed"
    ALERTS_VIEWED = "alert.viewed", "Alerts viewed"
    RECORDS_VIEWED = "record.viewed", "Patient records viewed"
    PASSWORD_CHECK_FAILED = "auth.password_check_failed", "Current password refused"
    USERNAME_LOCKED = "auth.username_locked", "Sign-in locked for a username"
    USERNAME_UNLOCKED = "auth.username_unlocked", "Sign-in lock lifted by an admin"
    # ---- Production (issue 15): refusals, for the daily audit report.
    ACCESS_DENIED = "auth.access_denied", "Access refused (403)"
    # ---- Research exports and the REST API (issue 13): ids and counts only, never a file path.
    API_TOKEN_CREATED = "api.token_created", "API token created"
    API_TOKEN_REVOKED = "api.token_revoked", "API token revoked"
    EXPORT_DEIDENTIFIED = "research.export_deidentified", "De-identified export prepared"
    EXPORT_IDENTIFIED = "research.export_identified", "Identified export prepared"
    EXPORT_DOWNLOADED = "research.export_downloaded", "Export downloaded"
    EXPORT_CANCELLED = "research.export_cancelled", "Export cancelled"
    EXPORT_EXPIRED = "research.export_expired", "Export file removed after the retention period"


#: Events that change nothing: a response that showed records, a search, a refusal. They do not
#: move a chain head's ``write_seq`` (the chair board's data version); every other event does.
READ_EVENT_TYPES: frozenset[str] = frozenset(
    str(t)
    for t in (
        EventType.PATIENT_VIEWED,
        EventType.PATIENT_SEARCHED,
        EventType.SCALE_RESPONSE_VIEWED,
        EventType.SESSION_VIEWED,
        EventType.COURSE_VIEWED,
        EventType.REMS_FORM_VIEWED,
        EventType.ALERTS_VIEWED,
        EventType.RECORDS_VIEWED,
        EventType.ACCESS_DENIED,
    )
)


class AuditEvent(models.Model):
    """One event. Rows are only ever inserted, by ``audit.services.audit_record``.

    ``hash`` is SHA-256 over this row's content and ``prev_hash`` (the hash of the event before it in
    the same chain), so an edit, a deletion or an insertion outside the application breaks the chain.
    Triggers refuse UPDATE and DELETE outright (PostgreSQL: migration 0002; SQLite: migration 0004).
    """

    id = models.BigAutoField(primary_key=True)
    event_time = models.DateTimeField(db_index=True)
    # No database choices: new event types (one per capability) need no migration of this table.
    event_type = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=True,
    )
    actor_username = models.CharField(max_length=150, blank=True)
    clinic = models.ForeignKey(
        "accounts.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=32, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Per-clinic chains (migration 0004): "clinic:<id>" or "system"; "" for legacy events, whose
    # position is their id in the old global chain. ``seq`` counts from 1 within the chain.
    chain = models.CharField(max_length=40, default="", blank=True)
    seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["clinic", "event_time"], name="audit_clinic_time")]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]

    def __str__(self) -> str:
        return f"{self.id} {self.event_type}"

    def get_event_type_display(self) -> str:
        try:
            return str(EventType(self.event_type).label)
        except ValueError:
            return self.event_type


class SignatureMeaning(models.TextChoices):
    """21 CFR 11.50: every signature states its meaning."""

    AUTHORSHIP = "authorship", "Authorship: I recorded this"
    REVIEW = "review", "Review: I reviewed this"
    APPROVAL = "approval", "Approval: I approve this"
    RESPONSIBILITY = "responsibility", "Responsibility: I am responsible for this"
    WITNESS = "witness", "Witness: I witnessed this"


class Signature(models.Model):
    """An electronic signature bound to the content it signs (21 CFR 11.50, 11.70).

    ``content_hash`` is SHA-256 over the canonical JSON of the signed record as the signer saw it;
    changing the record afterwards makes ``audit.signatures.signature_matches`` false, so the signature
    cannot be carried over to other content. Signatures are never updated or deleted.
    """

    id = models.BigAutoField(primary_key=True)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=32, choices=SignatureMeaning.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_object_idx")]

    def __str__(self) -> str:
        return f"{self.printed_name} {self.meaning} {self.signed_at:%Y-%m-%d %H:%M}Z"


# ---- hash chains (issue 10, finding 5) -------------------------------------------------------------


class ChainHead(models.Model):
    """The head of the legacy global chain (events written before per-clinic chains, ``chain=""``).

    Frozen since migration 0004: nothing appends to it any more. ``audit verify`` still walks the
    legacy events and compares them with this row, and every per-clinic chain starts from a genesis
    hash that covers this row's ``last_hash`` (``audit.chain.chain_genesis``), so the legacy chain
    cannot be rewritten without rewriting (and re-sealing) every chain after it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_single_head")]

    def __str__(self) -> str:
        return f"head {self.last_event_id}"


class AuditChainHead(models.Model):
    """The newest event of one chain: ``clinic:<id>`` for a clinic's events, ``system`` for events
    without a clinic (failed sign-ins). Writers lock only their own chain's row, so clinics do not
    wait for each other. ``seal`` is an HMAC over (chain, seq, last_hash) under the key ``key_id``,
    a key kept outside the database (``KETACLINIC_AUDIT_SEAL_KEYS``): someone who can write to the
    database but does not hold the key cannot move a head to a rewritten chain unnoticed.

    ``write_seq`` counts the chain's events that are not pure reads (``READ_EVENT_TYPES``), moved
    in the same statement as the head: the clinic's data version, which the chair board's poll
    compares instead of re-reading every session (issue 15). Neither the hash nor the seal covers
    it; a forged value can only make a board re-render, or show stale rows until the next write."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32, blank=True)
    seal = models.CharField(max_length=64, blank=True)
    write_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.chain} head {self.seq}"
