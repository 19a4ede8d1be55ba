"""The SPRAVATO REMS Patient Monitoring Form (PMF): its fields, what is missing, its deadline.

Pure module: no Django import. Outpatient settings file a PMF after every esketamine session,
within 7 days (online or fax); inpatient settings file none [spravatorems.com outpatient-hcs,
inpatient-hcs; PMF]. The session cannot be signed while a required field is missing (issue 4).

The fields follow the 11/2021 form as listed in clinical.md section 2 [PMF], plus the current
form's additions: first-treatment flag, enrolment status, opioids and other drugs causing
sedation, respiratory depression or BP change, respiratory monitoring with pulse oximetry (and
the lowest SpO2), serious adverse events [PMF overview video; OsmindREMS; clinical.md 12]. The
current form's exact wording is **unverified**; its field set is what clinical.md lists.

PMF layouts are versioned data with an effective date (:data:`PMF_LAYOUTS`), never code
constants (clinical.md section 2): the next change of the form is a new :class:`PmfLayout`
entry, and a stored form keeps the layout it was made with (``layout_named``).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields

from ketaclinic.treatment.domain.protocol import LABEL_RULES_SPRAVATO_2024, LabelRules

__all__ = [
    "FIELD_LABELS",
    "PMF_LAYOUTS",
    "PMF_LAYOUT_2021_11",
    "PMF_LAYOUT_CURRENT",
    "DeadlineStatus",
    "PatientMonitoringForm",
    "PmfDeadline",
    "PmfDose",
    "PmfLayout",
    "layout_for",
    "layout_named",
    "missing_required_fields",
    "pmf_deadline",
    "pmf_due_date",
    "pmf_problems",
    "total_monitoring_minutes",
]


class PmfDose(enum.StrEnum):
    MG_56 = "56"
    MG_84 = "84"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PatientMonitoringForm:
    """One session's PMF. ``None`` means not answered yet."""

    # Patient
    patient_name: str | None = None
    patient_date_of_birth: dt.date | None = None
    patient_sex: str | None = None
    # Concomitant medication, yes/no each [PMF 11/2021]
    takes_benzodiazepines: bool | None = None
    takes_non_benzodiazepine_sedative_hypnotics: bool | None = None
    takes_psychostimulants: bool | None = None
    takes_maois: bool | None = None
    # Monitoring healthcare provider
    hcp_name: str | None = None
    hcp_phone: str | None = None
    hcp_email: str | None = None
    # Healthcare setting
    setting_name: str | None = None
    setting_address: str | None = None
    # Treatment
    treatment_date: dt.date | None = None
    dose: PmfDose | None = None
    dose_other_mg: int | None = None  # only when dose is "other"
    lot_number: str | None = None
    # Minutes from the first device to the end of monitoring; must be >= 120 [PMF; DailyMed].
    total_monitoring_minutes: int | None = None
    # "REMS evaluation question": minutes until the patient would have been ready to leave
    # without the 2-hour rule [PMF].
    minutes_until_ready_without_rule: int | None = None
    vitals_acceptable_before_dosing: bool | None = None
    vitals_acceptable_before_completion: bool | None = None
    bp_before_dosing_systolic_mmhg: int | None = None
    bp_before_dosing_diastolic_mmhg: int | None = None
    bp_at_40_min_systolic_mmhg: int | None = None
    bp_at_40_min_diastolic_mmhg: int | None = None
    bp_before_completion_systolic_mmhg: int | None = None
    bp_before_completion_diastolic_mmhg: int | None = None
    # "Sedation and dissociation questions" [PMF]: modelled as observed yes/no; the form's exact
    # wording and answer options are unverified.
    sedation_observed: bool | None = None
    dissociation_observed: bool | None = None
    # Newer form (optional here; required set unverified)
    first_treatment: bool | None = None
    patient_enrolled: bool | None = None
    takes_opioids: bool | None = None
    takes_other_sedating_or_bp_drugs: bool | None = None
    respiratory_status_monitored: bool | None = None
    pulse_oximetry_checked: bool | None = None
    lowest_spo2_percent: int | None = None  # the lowest SpO2 of the session's readings
    serious_adverse_event_reported: bool | None = None


@dataclass(frozen=True, slots=True)
class PmfLayout:
    name: str
    effective_from: dt.date
    required: tuple[str, ...]


_NEWER_FORM_FIELDS = frozenset(
    {
        "first_treatment",
        "patient_enrolled",
        "takes_opioids",
        "takes_other_sedating_or_bp_drugs",
        "respiratory_status_monitored",
        "pulse_oximetry_checked",
        "lowest_spo2_percent",
        "serious_adverse_event_reported",
    }
)

#: The 11/2021 PMF [PMF: manualspro.net/445029]. Every listed field is required; dose_other_mg
#: is required only for an "other" dose (checked in :func:`missing_required_fields`).
PMF_LAYOUT_2021_11 = PmfLayout(
    name="SPRAVATO REMS Patient Monitoring Form 11/2021",
    effective_from=dt.date(2021, 11, 1),
    required=tuple(
        f.name
        for f in fields(PatientMonitoringForm)
        if f.name not in _NEWER_FORM_FIELDS and f.name != "dose_other_mg"
    ),
)


#: The current form [PMF overview video, jnjmedicalconnect.com; OsmindREMS]: every field is
#: required (the "other" dose's mg only for an "other" dose). Effective from the earliest date
#: the sources show it in force (2026-06-12 [Lucido]); FDA's own date is unverified.
PMF_LAYOUT_CURRENT = PmfLayout(
    name="SPRAVATO REMS Patient Monitoring Form (current: respiratory monitoring, SAEs)",
    effective_from=dt.date(2026, 6, 12),
    required=tuple(f.name for f in fields(PatientMonitoringForm) if f.name != "dose_other_mg"),
)

#: Every layout, oldest first. A new version of the form is a new entry here.
PMF_LAYOUTS: tuple[PmfLayout, ...] = (PMF_LAYOUT_2021_11, PMF_LAYOUT_CURRENT)


def layout_for(day: dt.date, layouts: tuple[PmfLayout, ...] = PMF_LAYOUTS) -> PmfLayout:
    """The layout in force on ``day``: the latest whose effective date is on or before it (the
    oldest for a day before every layout)."""
    in_force = [lay for lay in layouts if lay.effective_from <= day]
    return max(in_force, key=lambda lay: lay.effective_from) if in_force else layouts[0]


def layout_named(name: str, layouts: tuple[PmfLayout, ...] = PMF_LAYOUTS) -> PmfLayout:
    """The layout a stored form was made with. A name no layout has (a form stored before
    layouts were versioned data) reads as the oldest layout, the only one there was then."""
    for lay in layouts:
        if lay.name == name:
            return lay
    return layouts[0]


#: Each field as the form asks it, in words.
FIELD_LABELS: dict[str, str] = {
    "patient_name": "Patient name",
    "patient_date_of_birth": "Patient date of birth",
    "patient_sex": "Patient sex",
    "takes_benzodiazepines": "Takes benzodiazepines",
    "takes_non_benzodiazepine_sedative_hypnotics": "Takes non-benzodiazepine sedative-hypnotics",
    "takes_psychostimulants": "Takes psychostimulants",
    "takes_maois": "Takes MAOIs",
    "hcp_name": "Monitoring healthcare provider",
    "hcp_phone": "Provider phone",
    "hcp_email": "Provider email",
    "setting_name": "Healthcare setting",
    "setting_address": "Setting address",
    "treatment_date": "Treatment date",
    "dose": "Dose (mg)",
    "dose_other_mg": "Other dose (mg)",
    "lot_number": "Lot number",
    "total_monitoring_minutes": "Minutes from the first device to the end of monitoring",
    "minutes_until_ready_without_rule": "Minutes until ready to leave without the 2-hour rule",
    "vitals_acceptable_before_dosing": "Vital signs acceptable before dosing",
    "vitals_acceptable_before_completion": "Vital signs acceptable before completion",
    "bp_before_dosing_systolic_mmhg": "Systolic before dosing (mmHg)",
    "bp_before_dosing_diastolic_mmhg": "Diastolic before dosing (mmHg)",
    "bp_at_40_min_systolic_mmhg": "Systolic at 40 minutes (mmHg)",
    "bp_at_40_min_diastolic_mmhg": "Diastolic at 40 minutes (mmHg)",
    "bp_before_completion_systolic_mmhg": "Systolic before completion (mmHg)",
    "bp_before_completion_diastolic_mmhg": "Diastolic before completion (mmHg)",
    "sedation_observed": "Sedation observed (MOAA/S below pre-dose)",
    "dissociation_observed": "Dissociation observed (CADSS above 4)",
    "first_treatment": "First treatment",
    "patient_enrolled": "Patient enrolled in the REMS",
    "takes_opioids": "Takes opioids",
    "takes_other_sedating_or_bp_drugs": (
        "Takes other drugs causing sedation, respiratory depression or blood-pressure change"
    ),
    "respiratory_status_monitored": "Respiratory status monitored",
    "pulse_oximetry_checked": "Pulse oximetry checked",
    "lowest_spo2_percent": "Lowest SpO2 (%)",
    "serious_adverse_event_reported": "Serious adverse event",
}


def missing_required_fields(
    form: PatientMonitoringForm, layout: PmfLayout = PMF_LAYOUT_CURRENT
) -> list[str]:
    """Names of required fields still empty (blank text counts as empty)."""
    missing: list[str] = []
    for name in layout.required:
        value = getattr(form, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    if form.dose is PmfDose.OTHER and form.dose_other_mg is None:
        missing.append("dose_other_mg")
    return missing


def pmf_problems(
    form: PatientMonitoringForm, rules: LabelRules = LABEL_RULES_SPRAVATO_2024
) -> list[str]:
    """Answers that are present but cannot be right, each naming the field."""
    problems: list[str] = []
    minimum = rules.esketamine_min_observation_minutes
    if form.total_monitoring_minutes is not None and form.total_monitoring_minutes < minimum:
        problems.append(
            f"total_monitoring_minutes: must be at least {minimum} (2 hours from the first "
            f"device), got {form.total_monitoring_minutes}"
        )
    if (
        form.minutes_until_ready_without_rule is not None
        and form.minutes_until_ready_without_rule < 0
    ):
        problems.append("minutes_until_ready_without_rule: must be 0 or more")
    if form.lowest_spo2_percent is not None and not 1 <= form.lowest_spo2_percent <= 100:
        problems.append(f"lowest_spo2_percent: allowed 1-100 %, got {form.lowest_spo2_percent}")
    if form.dose is not PmfDose.OTHER and form.dose_other_mg is not None:
        problems.append("dose_other_mg: only for an 'other' dose")
    for when in ("before_dosing", "at_40_min", "before_completion"):
        s = getattr(form, f"bp_{when}_systolic_mmhg")
        d = getattr(form, f"bp_{when}_diastolic_mmhg")
        if s is not None and d is not None and d >= s:
            problems.append(
                f"bp_{when}_diastolic_mmhg: must be below the systolic ({s} mmHg), got {d}"
            )
    return problems


def total_monitoring_minutes(first_device_at: dt.datetime, monitoring_ended_at: dt.datetime) -> int:
    """Whole minutes from the first device to the end of monitoring, rounded down, so that
    119 min 59 s is reported as 119 and never passes for 2 hours."""
    if monitoring_ended_at < first_device_at:
        raise ValueError("monitoring_ended_at: must not be before first_device_at")
    return int((monitoring_ended_at - first_device_at).total_seconds() // 60)


def pmf_due_date(treatment_date: dt.date, rules: LabelRules = LABEL_RULES_SPRAVATO_2024) -> dt.date:
    """Last day to file: the treatment date plus 7 days ("within 7 days" [REMS; Lucido]).

    Counting the 7 days from the day after the session, with the 7th day included, is this
    project's reading of "within 7 days"; the deadline length is the LabelRules setting.
    """
    return treatment_date + dt.timedelta(days=rules.pmf_deadline_days)


class DeadlineStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    DUE = "due"
    DUE_SOON = "due_soon"  # on or after the soon threshold (default: 2 days or fewer left)
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class PmfDeadline:
    due_date: dt.date
    days_left: int  # negative when overdue
    status: DeadlineStatus


def pmf_deadline(
    treatment_date: dt.date,
    *,
    today: dt.date,
    submitted: bool,
    soon_days: int = 2,
    rules: LabelRules = LABEL_RULES_SPRAVATO_2024,
) -> PmfDeadline:
    """The dashboard row: due date, days left (in the clinic's local dates) and status.

    ``soon_days`` (project default 2) is when the row turns to "due soon".
    """
    due = pmf_due_date(treatment_date, rules)
    left = (due - today).days
    if submitted:
        status = DeadlineStatus.SUBMITTED
    elif left < 0:
        status = DeadlineStatus.OVERDUE
    elif left <= soon_days:
        status = DeadlineStatus.DUE_SOON
    else:
        status = DeadlineStatus.DUE
    return PmfDeadline(due, left, status)
