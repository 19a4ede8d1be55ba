"""The exported tables: each column named, typed and described once here, so the data dictionary
(docs/data-dictionary.md) is generated from the same code that writes the files.

Only listed columns leave the database (an allow-list): free text (notes, descriptions, escort,
reasons), names, contact details, street, city, MRN, lot numbers, database ids and every full date
stay behind. Each table is read with one query, streamed a chunk at a time (``context.stream``), never one
per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from ketaclinic.patients.models import Patient
from ketaclinic.research.deid import age_at, age_label, zip3
from ketaclinic.research.export.context import ExportContext, stream
from ketaclinic.scales import get_definition
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.screening.models import EligibilityDecision
from ketaclinic.treatment.models import (
    OBSERVATION_CODING,
    AdverseEvent,
    Course,
    DoseAdministration,
    Observation,
    TreatmentSession,
)

Row = list[Any]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "string", "integer", "decimal", "boolean"
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[ExportContext], Iterator[Row]]

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


STUDY_ID = Column(
    "study_id", "string", "Random study id of the patient (not derived from any identifier)"
)
DAY = "Days from the patient's index date (the first recorded contact; the date itself is withheld)"


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _patients(ctx: ExportContext) -> Iterator[Row]:
    query = (
        Patient.objects.filter(clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list("id", "date_of_birth", "sex", "state", "postal_code", "hepatic_impairment")
    )
    for pk, born, sex, state, postal, hepatic in stream(query):
        index = ctx.index_dates[pk]
        yield [
            ctx.study_ids[pk],
            sex,
            age_label(age_at(born, index)) if born <= index else None,
            index.year,
            state or None,
            zip3(postal, ctx.restricted_zip3) or None,
            hepatic,
        ]


PATIENTS = Table(
    "patients",
    "One row per patient of the exported clinics.",
    (
        STUDY_ID,
        Column("sex", "string", "female, male, intersex or unknown"),
        Column("age_at_index", "string", 'Age in whole years at the index date; "90+" above 89'),
        Column("index_year", "integer", "Year of the index date"),
        Column("state", "string", "State (no smaller geography leaves)"),
        Column(
            "zip3", "string", 'First 3 ZIP digits; "000" for restricted prefixes; blank if none'
        ),
        Column("hepatic_impairment", "string", "none, mild, moderate, severe or unknown"),
    ),
    _patients,
)


def _courses(ctx: ExportContext) -> Iterator[Row]:
    query = (
        Course.objects.filter(clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list(
            "pk", "patient_id", "protocol_version_id", "indication", "status", "start_date"
        )
    )
    for pk, patient, version, indication, status, start in stream(query):
        facts = ctx.versions[version]
        yield [
            ctx.record_key("course", pk),
            ctx.study_ids[patient],
            facts.protocol_code,
            facts.drug,
            facts.route,
            indication,
            status,
            ctx.day(patient, start),
        ]


COURSE_KEY = Column("course_key", "string", "Key of the course within this export")
COURSES = Table(
    "courses",
    "One row per treatment course.",
    (
        COURSE_KEY,
        STUDY_ID,
        Column("protocol", "string", "Protocol code"),
        Column("drug", "string", "racemic_ketamine or esketamine"),
        Column("route", "string", "Route of the protocol (iv_infusion, esketamine_nasal, ...)"),
        Column("indication", "string", "Indication code of the course"),
        Column("status", "string", "Course status"),
        Column("start_day", "integer", DAY),
    ),
    _courses,
)

SESSION_KEY = Column("session_key", "string", "Key of the session within this export")


def _sessions(ctx: ExportContext) -> Iterator[Row]:
    query = (
        TreatmentSession.objects.filter(clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "course_id",
            "patient_id",
            "number",
            "phase_code",
            "phase",
            "scheduled_at",
            "dose_started_at",
            "discharged_at",
        )
    )
    for (
        pk,
        course,
        patient,
        number,
        phase_code,
        phase,
        scheduled,
        dosed,
        discharged,
    ) in stream(query):
        minutes = None
        if dosed is not None and discharged is not None:
            minutes = int((discharged - dosed).total_seconds() // 60)
        yield [
            ctx.record_key("session", pk),
            ctx.record_key("course", course),
            ctx.study_ids[patient],
            number,
            phase_code,
            phase,
            ctx.day(patient, scheduled),
            dosed is not None,
            minutes,
        ]


SESSIONS = Table(
    "sessions",
    "One row per scheduled treatment session.",
    (
        SESSION_KEY,
        COURSE_KEY,
        STUDY_ID,
        Column("number", "integer", "Session number within the course (1 = first)"),
        Column("schedule_phase", "string", "Schedule phase (induction, maintenance, ...)"),
        Column("status", "string", "Session state (scheduled, checked_in, dosing, signed, ...)"),
        Column("day", "integer", DAY + "; the scheduled day"),
        Column("dosed", "boolean", "Whether a dose was started"),
        Column(
            "monitoring_minutes", "integer", "Minutes from dose start to discharge; blank if none"
        ),
    ),
    _sessions,
)


def _doses(ctx: ExportContext) -> Iterator[Row]:
    query = (
        DoseAdministration.objects.filter(session__clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list(
            "session_id",
            "session__patient_id",
            "session__protocol_version_id",
            "dose_mg",
            "dose_mg_per_kg",
            "weight_kg",
            "device_count",
            "infusion_minutes",
            "started_at",
        )
    )
    for session, patient, version, mg, mg_kg, kg, devices, minutes, started in stream(query):
        yield [
            ctx.record_key("session", session),
            ctx.study_ids[patient],
            ctx.versions[version].drug,
            ctx.versions[version].route,
            _s(mg),
            _s(mg_kg),
            _s(kg),
            devices,
            minutes,
            ctx.day(patient, started),
        ]


DOSES = Table(
    "doses",
    "One row per dose administered (a session has at most one).",
    (
        SESSION_KEY,
        STUDY_ID,
        Column("drug", "string", "racemic_ketamine or esketamine"),
        Column("route", "string", "Route of administration"),
        Column("dose_mg", "decimal", "Dose in mg"),
        Column("dose_mg_per_kg", "decimal", "Dose in mg/kg where weight-based; blank otherwise"),
        Column("weight_kg", "decimal", "Weight used for dosing, kg"),
        Column("device_count", "integer", "Esketamine nasal devices; blank for other routes"),
        Column("infusion_minutes", "integer", "Planned infusion duration in minutes"),
        Column("day", "integer", DAY),
    ),
    _doses,
)


def _vitals(ctx: ExportContext) -> Iterator[Row]:
    query = (
        Observation.objects.filter(session__clinic_id__in=ctx.clinic_ids)
        .exclude(code__in=["note", "iv_site"])  # free text only: never exported
        .order_by("pk")
        .values_list(
            "session_id",
            "session__patient_id",
            "code",
            "value",
            "systolic_mmhg",
            "diastolic_mmhg",
            "minutes_since_dose",
            "measured_at",
        )
    )
    for session, patient, code, value, systolic, diastolic, since, measured in stream(query):
        unit, loinc = OBSERVATION_CODING.get(code, ("", ""))
        yield [
            ctx.record_key("session", session),
            ctx.study_ids[patient],
            code,
            loinc or None,
            unit or None,
            value,
            systolic,
            diastolic,
            since,
            ctx.day(patient, measured),
        ]


VITALS = Table(
    "vitals",
    "One row per coded observation of a session (vital signs and in-session ratings).",
    (
        SESSION_KEY,
        STUDY_ID,
        Column("code", "string", "blood_pressure, heart_rate, spo2, respiratory_rate, moaa_s, ..."),
        Column("loinc", "string", "LOINC code where one is confirmed"),
        Column("unit", "string", "UCUM unit"),
        Column("value", "integer", "Value (blank for blood pressure)"),
        Column("systolic_mmhg", "integer", "Systolic blood pressure, mmHg"),
        Column("diastolic_mmhg", "integer", "Diastolic blood pressure, mmHg"),
        Column(
            "minutes_since_dose", "integer", "Whole minutes since dosing began (negative before)"
        ),
        Column("day", "integer", DAY),
    ),
    _vitals,
)


def _adverse_events(ctx: ExportContext) -> Iterator[Row]:
    query = (
        AdverseEvent.objects.filter(session__clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list(
            "session_id", "session__patient_id", "event_type", "severity", "serious", "outcome",
            "onset_at",
        )
    )  # fmt: skip
    for session, patient, kind, severity, serious, outcome, onset in stream(query):
        yield [
            ctx.record_key("session", session),
            ctx.study_ids[patient],
            kind,
            severity,
            serious,
            outcome,
            ctx.day(patient, onset),
        ]


ADVERSE_EVENTS = Table(
    "adverse_events",
    "One row per adverse event recorded in a session (descriptions withheld: free text).",
    (
        SESSION_KEY,
        STUDY_ID,
        Column("event_type", "string", "Coded event type"),
        Column("severity", "string", "mild, moderate or severe"),
        Column("serious", "boolean", "Serious adverse event"),
        Column("outcome", "string", "Coded outcome"),
        Column("day", "integer", DAY + "; onset"),
    ),
    _adverse_events,
)

RESPONSE_KEY = Column("response_key", "string", "Key of the scale response within this export")


def _responses_query(ctx: ExportContext) -> QuerySet[ScaleResponse]:
    return ScaleResponse.objects.filter(clinic_id__in=ctx.clinic_ids).order_by("pk")


def _responses(ctx: ExportContext) -> Iterator[Row]:
    query = _responses_query(ctx).values_list(
        "pk", "patient_id", "code", "scale_version", "total", "band", "source", "status",
        "effective_at",
    )  # fmt: skip
    for pk, patient, code, version, total, band, source, status, when in stream(query):
        yield [
            ctx.record_key("response", pk),
            ctx.study_ids[patient],
            code,
            version,
            total,
            band or None,
            source,
            status,
            ctx.day(patient, when),
        ]


SCALE_RESPONSES = Table(
    "scale_responses",
    "One row per scale response (questionnaire or clinician rating).",
    (
        RESPONSE_KEY,
        STUDY_ID,
        Column("scale", "string", "Scale code (phq9, gad7, madrs, ...)"),
        Column("scale_version", "string", "Version of the scale definition"),
        Column("total", "decimal", "Total score; blank when not computable (unanswered items)"),
        Column("band", "string", "Severity band of the total"),
        Column("source", "string", "clinic or self_report"),
        Column("status", "string", "final, or amended (corrected by a later response)"),
        Column("day", "integer", DAY),
    ),
    _responses,
)


def _items(ctx: ExportContext) -> Iterator[Row]:
    item_ids: dict[str, list[str]] = {}
    for pk, code, answers in stream(_responses_query(ctx).values_list("pk", "code", "answers")):
        if code not in item_ids:
            item_ids[code] = [item.id for item in get_definition(code).items]
        key = ctx.record_key("response", pk)
        for item, answer in zip(item_ids[code], answers, strict=False):
            yield [key, item, answer]  # an unanswered item stays blank, never 0


SCALE_ITEMS = Table(
    "scale_items",
    "One row per item of each scale response (item-level answers).",
    (
        RESPONSE_KEY,
        Column("item", "string", "Item id within the scale"),
        Column("answer", "integer", "Answer value; blank when the item was not answered"),
    ),
    _items,
)


def _decisions(ctx: ExportContext) -> Iterator[Row]:
    query = (
        EligibilityDecision.objects.filter(screening__clinic_id__in=ctx.clinic_ids)
        .order_by("pk")
        .values_list(
            "screening__patient_id", "screening__drug", "screening__indication",
            "screening__diagnosis_icd10", "outcome", "ruleset_version", "findings",
            "overridden_at", "decided_at",
        )
    )  # fmt: skip
    for (
        patient,
        drug,
        indication,
        icd10,
        outcome,
        ruleset,
        findings,
        overridden,
        decided,
    ) in stream(query):
        rules = sorted({str(f.get("rule_id", "")) for f in findings if isinstance(f, dict)})
        yield [
            ctx.study_ids[patient],
            drug,
            indication,
            icd10,
            outcome,
            ruleset,
            ";".join(rules) or None,
            overridden is not None,
            ctx.day(patient, decided),
        ]


SCREENING_DECISIONS = Table(
    "screening_decisions",
    "One row per eligibility decision of a screening.",
    (
        STUDY_ID,
        Column("drug", "string", "Drug screened for"),
        Column("indication", "string", "Indication screened for"),
        Column("diagnosis_icd10", "string", "ICD-10-CM code of the diagnosis"),
        Column("outcome", "string", "eligible, precautions or not_eligible"),
        Column("ruleset_version", "string", "Version of the screening rule set"),
        Column("rules_fired", "string", "Rule ids that fired, separated by semicolons"),
        Column("overridden", "boolean", "Whether a prescriber overrode the outcome"),
        Column("day", "integer", DAY),
    ),
    _decisions,
)

TABLES: tuple[Table, ...] = (
    PATIENTS,
    COURSES,
    SESSIONS,
    DOSES,
    VITALS,
    ADVERSE_EVENTS,
    SCALE_RESPONSES,
    SCALE_ITEMS,
    SCREENING_DECISIONS,
)
