"""Reads of surveillance. Every read checks the caller's clinic and role:

- a patient's surveillance page: prescribers and nurses (``PATIENT_VIEW`` and running or planning
  sessions); the misuse and diversion flags only to prescribers (``TREATMENT_PLAN``);
- the clinic safety page: ``SAFETY_PERM`` (``ALERT_VIEW``: prescribers, nurses, clinic admins),
  the closest existing permission to "prescribers and clinic admins".

The facts come from the apps below (treatment's sessions, doses and vitals; inventory's loss
reports and counts) and go through the pure rules of ``surveillance.rules``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert
from ketaclinic.alerts.selectors import alerts_for_clinic
from ketaclinic.inventory.models import CountLine, LedgerEntry, LossReport
from ketaclinic.lib.context import note_read
from ketaclinic.patients.models import Patient
from ketaclinic.surveillance.models import SurveillancePolicy, SurveillanceRecord
from ketaclinic.surveillance.rules import chart as bp_chart_rules
from ketaclinic.surveillance.rules.due import (
    DEFAULT_POLICY,
    DueItem,
    DueStatus,
    ItemKind,
    Policy,
    due_items,
)
from ketaclinic.surveillance.rules.exposure import (
    Exposure,
    Reading,
    SessionBp,
    exposure,
    session_bp,
)
from ketaclinic.surveillance.rules.indicators import (
    DEFAULT_THRESHOLDS,
    EarlyRequest,
    Flag,
    GivenDose,
    Thresholds,
    misuse_flags,
)
from ketaclinic.treatment.models import (
    AdverseEvent,
    AdverseEventType,
    Course,
    CourseStatus,
    DoseAdministration,
    Observation,
    ObservationCode,
    TreatmentSession,
)

SAFETY_PERM = Perm.ALERT_VIEW


def can_read_surveillance(m: Membership) -> bool:
    return m.can(Perm.PATIENT_VIEW) and (
        m.can(Perm.TREATMENT_ADMINISTER) or m.can(Perm.TREATMENT_PLAN)
    )


def can_see_flags(m: Membership) -> bool:
    return m.can(Perm.TREATMENT_PLAN)


def get_patient_for_surveillance(*, membership: Membership | None, pk: UUID) -> Patient:
    """The patient of the caller's clinic (else 404) if their role reads surveillance (else
    403)."""
    if membership is None:
        raise Http404
    patient = (
        Patient.objects.select_related("clinic")
        .filter(pk=pk, clinic_id=membership.clinic_id)
        .first()
    )
    if patient is None:
        raise Http404
    if not can_read_surveillance(membership):
        raise PermissionDenied
    note_read(patient, patient.pk)
    return patient


def clinic_settings(*, clinic_id: int) -> tuple[Policy, Thresholds, SurveillancePolicy | None]:
    row = SurveillancePolicy.objects.filter(clinic_id=clinic_id).first()
    if row is None:
        return DEFAULT_POLICY, DEFAULT_THRESHOLDS, None
    policy = Policy(
        urinary_interval_weeks=row.urinary_interval_weeks,
        liver_interval_weeks=row.liver_interval_weeks,
        induction_weeks=row.induction_weeks,
        review_interval_weeks=row.review_interval_weeks,
    )
    return policy, Thresholds(escalation_percent=row.escalation_percent), row


# --------------------------------------------------------------------------------------------
# Facts gathered for the pure rules


def _is_repeated(course: Course) -> bool:
    """A programme of more than one dose: several phases, an open-ended phase, or a phase of
    more than one session (the OCD protocol's single infusion is not)."""
    phases = course.protocol_version.protocol.schedule
    return len(phases) > 1 or any(p.session_count != 1 for p in phases)


@dataclass(frozen=True)
class CourseFacts:
    start: dt.date | None
    repeated_dose: bool


def _course_facts(courses: Iterable[Course]) -> CourseFacts:
    active = [c for c in courses if c.status == CourseStatus.ACTIVE]
    if not active:
        return CourseFacts(None, False)
    return CourseFacts(min(c.start_date for c in active), any(_is_repeated(c) for c in active))


def _last_done(records: Iterable[SurveillanceRecord]) -> dict[ItemKind, dt.date]:
    found: dict[ItemKind, dt.date] = {}
    for r in records:
        if r.in_error:
            continue
        kind = ItemKind(r.kind)
        if kind not in found or r.done_on > found[kind]:
            found[kind] = r.done_on
    return found


def _given(dose: DoseAdministration) -> GivenDose:
    protocol = dose.session.protocol_version.protocol
    return GivenDose(dose.started_at, str(protocol.drug), str(protocol.route), dose.dose_mg)


def _early_requests(sessions: Iterable[TreatmentSession], tz: dt.tzinfo) -> list[EarlyRequest]:
    """Sessions moved earlier, in the clinic's time zone (the flag names the clinic's dates)."""
    return [
        EarlyRequest(s.moved_from.astimezone(tz), s.scheduled_at.astimezone(tz), s.status_reason)
        for s in sessions
        if s.moved_from is not None and s.scheduled_at < s.moved_from
    ]


def _supplying_containers(patient: Patient) -> Q:
    """Ledger entries on containers that supplied this patient's doses."""
    containers = LedgerEntry.objects.filter(
        Q(session__patient=patient) | Q(patient=patient)
    ).values("container_id")
    return Q(container_id__in=containers)


def _loss_reports(patient: Patient) -> int:
    entries = LedgerEntry.objects.filter(
        _supplying_containers(patient) | Q(patient=patient)
    ).values("pk")
    return LossReport.objects.filter(entry_id__in=entries).count()


def _discrepancies(patient: Patient) -> int:
    return (
        CountLine.objects.filter(_supplying_containers(patient))
        .exclude(counted=F("expected"))
        .count()
    )


# --------------------------------------------------------------------------------------------
# A patient's surveillance page


@dataclass(frozen=True)
class PatientSurveillance:
    patient: Patient
    today: dt.date
    policy: Policy
    under_treatment: bool
    items: list[DueItem]
    records: list[SurveillanceRecord]
    exposure: Exposure
    bp: list[SessionBp]
    bp_chart: bp_chart_rules.BpChart | None
    flags: list[Flag] | None  # None: the role does not see misuse flags

    @property
    def overdue(self) -> list[DueItem]:
        return [i for i in self.items if i.status == DueStatus.OVERDUE]


def patient_surveillance(*, membership: Membership, patient: Patient) -> PatientSurveillance:
    if patient.clinic_id != membership.clinic_id or not can_read_surveillance(membership):
        raise PermissionDenied
    tz = patient.clinic.tzinfo
    today = timezone.now().astimezone(tz).date()
    policy, thresholds, _ = clinic_settings(clinic_id=patient.clinic_id)
    courses = list(Course.objects.filter(patient=patient).select_related("protocol_version"))
    facts = _course_facts(courses)
    records = list(
        SurveillanceRecord.objects.filter(patient=patient).select_related(
            "recorded_by", "in_error_by"
        )
    )
    items = due_items(
        course_start=facts.start,
        repeated_dose=facts.repeated_dose,
        last_done=_last_done(records),
        today=today,
        policy=policy,
    )
    doses = list(
        DoseAdministration.objects.filter(session__patient=patient)
        .select_related("session__protocol_version")
        .order_by("started_at")
    )
    given = [_given(d) for d in doses]
    readings: dict[int, list[Reading]] = defaultdict(list)
    for o in Observation.objects.filter(
        session__patient=patient,
        code=ObservationCode.BLOOD_PRESSURE,
        systolic_mmhg__isnull=False,
        diastolic_mmhg__isnull=False,
    ).only("session_id", "measured_at", "systolic_mmhg", "diastolic_mmhg"):
        assert o.systolic_mmhg is not None and o.diastolic_mmhg is not None  # noqa: S101
        readings[o.session_id].append(Reading(o.measured_at, o.systolic_mmhg, o.diastolic_mmhg))
    bp = [session_bp(d.started_at, readings.get(d.session_id, [])) for d in doses]
    flags = None
    if can_see_flags(membership):
        sessions = TreatmentSession.objects.filter(patient=patient, moved_from__isnull=False)
        flags = misuse_flags(
            early=_early_requests(sessions, tz),
            doses=given,
            loss_reports=_loss_reports(patient),
            discrepancies=_discrepancies(patient),
            thresholds=thresholds,
        )
    return PatientSurveillance(
        patient=patient,
        today=today,
        policy=policy,
        under_treatment=facts.start is not None,
        items=items,
        records=records,
        exposure=exposure(given, tz),
        bp=bp,
        bp_chart=bp_chart_rules.bp_chart(bp, tz),
        flags=flags,
    )


# --------------------------------------------------------------------------------------------
# The clinic safety page


@dataclass(frozen=True)
class OverdueRow:
    patient: Patient
    item: DueItem


@dataclass(frozen=True)
class AeCount:
    event_type: str
    label: str
    protocol: str
    count: int
    serious: int


@dataclass(frozen=True)
class ClinicSafety:
    open_alerts: list[Alert]
    overdue: list[OverdueRow]
    adverse_events: list[AeCount]
    adverse_event_total: int
    policy: Policy


def overdue_items(*, clinic_id: int, today: dt.date, policy: Policy) -> list[OverdueRow]:
    """Every overdue item of the clinic's patients in an active course (three queries)."""
    courses: dict[Any, list[Course]] = defaultdict(list)
    for c in Course.objects.filter(clinic_id=clinic_id, status=CourseStatus.ACTIVE).select_related(
        "protocol_version", "patient"
    ):
        courses[c.patient_id].append(c)
    records: dict[Any, list[SurveillanceRecord]] = defaultdict(list)
    for r in SurveillanceRecord.objects.filter(clinic_id=clinic_id, patient_id__in=list(courses)):
        records[r.patient_id].append(r)
    rows: list[OverdueRow] = []
    for patient_courses in courses.values():
        facts = _course_facts(patient_courses)
        items = due_items(
            course_start=facts.start,
            repeated_dose=facts.repeated_dose,
            last_done=_last_done(records[patient_courses[0].patient_id]),
            today=today,
            policy=policy,
        )
        patient = patient_courses[0].patient
        rows.extend(OverdueRow(patient, i) for i in items if i.status == DueStatus.OVERDUE)
    return sorted(rows, key=lambda r: (r.item.due_on, r.patient.family_name))


def adverse_event_counts(*, clinic_id: int) -> list[AeCount]:
    labels = dict(AdverseEventType.choices)
    counts: Counter[tuple[str, str]] = Counter()
    serious: Counter[tuple[str, str]] = Counter()
    for event_type, title, is_serious in AdverseEvent.objects.filter(
        session__clinic_id=clinic_id
    ).values_list("event_type", "session__protocol_version__family__title", "serious"):
        counts[(event_type, title)] += 1
        if is_serious:
            serious[(event_type, title)] += 1
    return [
        AeCount(t, str(labels.get(t, t)), title, n, serious[(t, title)])
        for (t, title), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def clinic_safety(*, membership: Membership) -> ClinicSafety:
    if not (membership.can(SAFETY_PERM) and membership.can(Perm.PATIENT_VIEW)):
        raise PermissionDenied
    tz = membership.clinic.tzinfo
    today = timezone.now().astimezone(tz).date()
    policy, _, _ = clinic_settings(clinic_id=membership.clinic_id)
    overdue = overdue_items(clinic_id=membership.clinic_id, today=today, policy=policy)
    alerts = list(alerts_for_clinic(membership=membership)[:200])
    # Every patient the page names is read by this request (one read event, ids only).
    for row in overdue:
        note_read(row.patient, row.patient.pk)
    for alert in alerts:
        if alert.patient_id is not None:
            note_read(alert, alert.patient_id)
    aes = adverse_event_counts(clinic_id=membership.clinic_id)
    return ClinicSafety(
        open_alerts=alerts,
        overdue=overdue,
        adverse_events=aes,
        adverse_event_total=sum(a.count for a in aes),
        policy=policy,
    )
