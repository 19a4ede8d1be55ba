"""What the outcome pages read from courses and sessions (composed with scales in views)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ketaclinic.patients.models import Patient
from ketaclinic.treatment.models import Course, TreatmentSession


@dataclass(frozen=True)
class OutcomeCourses:
    """What the clinic outcomes page needs from courses: groups and the sessions that anchor them."""

    groups: dict[str, list[Any]]  # "Indication · Protocol" -> patient ids
    session_times: dict[Any, list[dt.datetime]]  # patient id -> dose start times, in order
    patients: set[Any] | None = None  # with a filter: the patients of the matching courses


INDICATION_LABELS = {
    "trd": "Treatment-resistant depression",
    "mdd": "Major depression",
    "mdd_acute_suicidal_ideation": "Depression with acute suicidal ideation",
    "crps": "CRPS",
}


@dataclass(frozen=True)
class OutcomeFilterChoices:
    """What the outcomes page offers to filter by: the indications and protocols of the clinic's
    courses, as (value, label) pairs in label order."""

    indications: list[tuple[str, str]]
    protocols: list[tuple[str, str]]


def outcome_filter_choices(*, clinic_id: int) -> OutcomeFilterChoices:
    indications: dict[str, str] = {}
    protocols: dict[str, str] = {}
    rows = (
        Course.objects.filter(clinic_id=clinic_id)
        .values_list(
            "indication", "protocol_version__family__code", "protocol_version__family__title"
        )
        .distinct()
    )
    for indication, code, title in rows:
        indications[indication] = INDICATION_LABELS.get(indication, indication)
        protocols[code] = title
    return OutcomeFilterChoices(
        indications=sorted(indications.items(), key=lambda kv: kv[1]),
        protocols=sorted(protocols.items(), key=lambda kv: kv[1]),
    )


def outcome_courses(*, clinic_id: int, indication: str = "", protocol: str = "") -> OutcomeCourses:
    """Courses of a clinic grouped by indication and by (indication, protocol), with the start
    times of each patient's dosed sessions (two queries, whatever the clinic's size).

    ``indication`` (a course indication code) and ``protocol`` (a protocol family code) keep only
    the matching courses, and only their sessions anchor the outcomes; ``patients`` is then the
    set of patients with a matching course (None when nothing is filtered)."""
    groups: dict[str, list[Any]] = {}
    courses = Course.objects.filter(clinic_id=clinic_id)
    if indication:
        courses = courses.filter(indication=indication)
    if protocol:
        courses = courses.filter(protocol_version__family__code=protocol)
    filtered = bool(indication or protocol)
    rows = courses.values_list("patient_id", "indication", "protocol_version__family__title")
    for patient_id, course_indication, title in rows:
        label = INDICATION_LABELS.get(course_indication, course_indication)
        groups.setdefault(label, []).append(patient_id)
        groups.setdefault(f"{label} · {title}", []).append(patient_id)
    times: dict[Any, list[dt.datetime]] = {}
    sessions = TreatmentSession.objects.filter(clinic_id=clinic_id, dose_started_at__isnull=False)
    if filtered:
        sessions = sessions.filter(course__in=courses)
    patients = {patient_id for patient_id, _, _ in rows} if filtered else None
    dosed = sessions.order_by("patient_id", "dose_started_at").values_list(
        "patient_id", "dose_started_at"
    )
    for patient_id, started in dosed:
        if started is not None:  # filtered above; narrows the type
            times.setdefault(patient_id, []).append(started)
    return OutcomeCourses(
        groups=dict(sorted(groups.items())), session_times=times, patients=patients
    )


def dosed_session_times(*, patient: Patient) -> list[dt.datetime]:
    """Start times of a patient's dosed sessions: the markers on the rating-scale charts."""
    started = (
        TreatmentSession.objects.filter(patient=patient, dose_started_at__isnull=False)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
    )
    return [t for t in started if t is not None]
