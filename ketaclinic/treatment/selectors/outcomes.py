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


INDICATION_LABELS = {
    "trd": "Treatment-resistant depression",
    "mdd": "Major depression",
    "mdd_acute_suicidal_ideation": "Depression with acute suicidal ideation",
    "crps": "CRPS",
}


def outcome_courses(*, clinic_id: int) -> OutcomeCourses:
    """Courses of a clinic grouped by indication and by (indication, protocol), with the start
    times of each patient's dosed sessions (two queries, whatever the clinic's size)."""
    groups: dict[str, list[Any]] = {}
    rows = Course.objects.filter(clinic_id=clinic_id).values_list(
        "patient_id", "indication", "protocol_version__family__title"
    )
    for patient_id, indication, title in rows:
        label = INDICATION_LABELS.get(indication, indication)
        groups.setdefault(label, []).append(patient_id)
        groups.setdefault(f"{label} · {title}", []).append(patient_id)
    times: dict[Any, list[dt.datetime]] = {}
    dosed = (
        TreatmentSession.objects.filter(clinic_id=clinic_id, dose_started_at__isnull=False)
        .order_by("patient_id", "dose_started_at")
        .values_list("patient_id", "dose_started_at")
    )
    for patient_id, started in dosed:
        if started is not None:  # filtered above; narrows the type
            times.setdefault(patient_id, []).append(started)
    return OutcomeCourses(groups=dict(sorted(groups.items())), session_times=times)


def dosed_session_times(*, patient: Patient) -> list[dt.datetime]:
    """Start times of a patient's dosed sessions: the markers on the rating-scale charts."""
    started = (
        TreatmentSession.objects.filter(patient=patient, dose_started_at__isnull=False)
        .order_by("dose_started_at")
        .values_list("dose_started_at", flat=True)
    )
    return [t for t in started if t is not None]
