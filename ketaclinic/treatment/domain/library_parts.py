"""Pieces the shipped protocols share (vital signs, thresholds, discharge criteria, monitoring),
each number with its source beside it (``library.py`` says how sources are cited). Pure module."""

from __future__ import annotations

from decimal import Decimal

from ketaclinic.treatment.domain.protocol import (
    Anchor,
    DeviceRule,
    DischargeCriterion,
    Measure,
    PlannedMeasurement,
    Source,
    Thresholds,
)

D = Decimal

# --------------------------------------------------------------------------------------------
# Shared pieces

PRE = Anchor.PRE_DOSE
AT = Anchor.DOSE_START
END = Anchor.BEFORE_DISCHARGE


def checks_at(minute: int, *measures: Measure) -> tuple[PlannedMeasurement, ...]:
    """The planned measurements taken together ``minute`` minutes after the dose starts."""
    return tuple(PlannedMeasurement(m, AT, minute) for m in measures)


# Every session assesses these before dosing and before discharge, whatever the drug: blood
# pressure [HCP], SpO2 and respiratory rate (respiratory status, clinical.md 12: the boxed warning
# and the REMS goal), MOAA/S (sedation); heart rate before dosing. One tuple, so that a new rule
# reaches every shipped protocol at once.
PREDOSE_VITALS = (
    PlannedMeasurement(Measure.BLOOD_PRESSURE, PRE),
    PlannedMeasurement(Measure.HEART_RATE, PRE),
    PlannedMeasurement(Measure.SPO2, PRE),
    PlannedMeasurement(Measure.MOAA_S, PRE),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, PRE),
)
BEFORE_DISCHARGE_VITALS = (
    PlannedMeasurement(Measure.BLOOD_PRESSURE, END),
    PlannedMeasurement(Measure.SPO2, END),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, END),
    PlannedMeasurement(Measure.MOAA_S, END),
)

#: Thresholds shared by the shipped protocols. Each is a setting of the protocol version.
THRESHOLDS = Thresholds(
    # Baseline BP > 140/90: weigh the transient rise against benefit [DrOracle; wording vs PI
    # section 5.6 unverified]; one clinic gives no dose above 140/90 [acceleratedpsychiatry.com].
    # Encoded as "needs a prescriber's recorded decision", not as a hard stop. The web-cited
    # "FDA 160/100 limit" is not label text and is deliberately not encoded (clinical.md 2).
    predose_systolic_max_mmhg=140,
    predose_diastolic_max_mmhg=90,
    # >= 40 mmHg systolic and/or >= 25 mmHg diastolic rise: the label's trial definition of a
    # large rise [USMed], and the adverse-event example of clinical.md section 8.9.
    bp_rise_systolic_mmhg=40,
    bp_rise_diastolic_mmhg=25,
    # clinical.md gives no SpO2 or heart-rate numbers (pulse oximetry each session [HCP]).
    # PROJECT DEFAULTS, unverified: a clinic must review them before use.
    spo2_min_percent=92,
    spo2_drop_percent=4,
    heart_rate_min_bpm=50,
    heart_rate_max_bpm=120,
)

ESKETAMINE_DISCHARGE = (
    # Readiness-to-leave assessment after >= 2 h observation (boxed warning) [DailyMed].
    DischargeCriterion("readiness_assessed", "Readiness-to-leave assessment done by the HCP"),
    # PMF asks "vitals acceptable before completion" (Y/N) [PMF].
    DischargeCriterion("vitals_acceptable", "Vital signs acceptable before completion"),
    # REMS goal: monitor >= 2 h and until sedation, dissociation resolve [REMS].
    DischargeCriterion("sedation_resolved", "Sedation resolved (MOAA/S back to pre-dose)"),
    DischargeCriterion("dissociation_resolved", "Dissociation resolved"),
    # No driving until the next day after restful sleep [HCP]; ride confirmed, escort [LADMH].
    DischargeCriterion("ride_home_confirmed", "Ride home confirmed; patient escorted out"),
    DischargeCriterion("no_driving_counselled", "Told not to drive until the next day [HCP]"),
)

RACEMIC_DISCHARGE = (
    DischargeCriterion("readiness_assessed", "Readiness-to-leave assessment done"),
    DischargeCriterion("vitals_acceptable", "Vital signs acceptable before discharge"),
    DischargeCriterion("sedation_resolved", "Sedation resolved (MOAA/S back to pre-dose)"),
    DischargeCriterion("dissociation_resolved", "Dissociation resolved"),
    # A safe way home: the esketamine practice [HCP; LADMH] applied to racemic ketamine as a
    # project default (clinical.md gives no racemic discharge rule).
    DischargeCriterion("ride_home_confirmed", "Ride home confirmed; patient escorted out"),
)

#: Esketamine: BP before dosing, ~40 min after and before completion [HCP; MIMS; PMF];
#: pulse oximetry each session [HCP]; sedation on MOAA/S and dissociation on CADSS [Label].
#: The MOAA/S and CADSS minutes (40 = the BP peak [USMed], and before discharge) are project
#: defaults: clinical.md gives no rating minutes.
ESKETAMINE_MONITORING = (
    *PREDOSE_VITALS,
    *checks_at(
        40,
        Measure.BLOOD_PRESSURE,
        Measure.SPO2,
        Measure.RESPIRATORY_RATE,
        Measure.MOAA_S,
        Measure.CADSS,
    ),
    *BEFORE_DISCHARGE_VITALS,
    PlannedMeasurement(Measure.CADSS, END),
)

#: Moderate hepatic impairment (Child-Pugh B) "may need longer monitoring" (esketamine PI 8.6,
#: clinical.md 12); severe is not recommended (a prescriber's override, services/dose.py). The PI
#: gives no number: 3 hours (the 2-hour minimum plus 1 hour) is a PROJECT DEFAULT, a setting of
#: the protocol version for the clinic to review.
ESKETAMINE_MODERATE_HEPATIC_MINUTES = 180

ESKETAMINE_DEVICES = DeviceRule(
    mg_per_device=D("28"),  # one device = 28 mg (0.2 mL) [NDC]
    minutes_between_devices=5,  # 5 min rest between devices [MIMS; DrOracle]
)

# Pre-session scales: the issue asks for PHQ-9 (item 9 blocks dosing) and the C-SSRS screen;
# APA consensus asks for baseline scales [APA]; MBC every visit (clinical.md section 7).
DEPRESSION_SCALES = ("phq9", "cssrs_screener")

SOURCES_ESKETAMINE_COMMON = (
    Source("DailyMed", ">= 2 h observation every session, readiness-to-leave (boxed warning)"),
    Source("NDC", "28 mg per device; kits of 56 and 84 mg"),
    Source("MIMS", "5 min between devices; BP before and ~40 min after dosing"),
    Source("HCP", "BP before dosing and ~40 min after; pulse oximetry; no driving until next day"),
    Source("USMed", "BP rise >= 40/25 mmHg; MOAA/S sedation; loss of consciousness"),
    Source("REMS", "outpatient PMF after every session within 7 days"),
    Source("PMF", "vitals before dosing, at 40 min and before completion"),
)

#: IV monitoring minutes (APA's thresholds and staffing are unverified [APA]): PROJECT DEFAULTS.
IV_MONITORING = (
    *PREDOSE_VITALS,
    PlannedMeasurement(Measure.IV_SITE, AT, 0),
    *checks_at(
        20, Measure.BLOOD_PRESSURE, Measure.HEART_RATE, Measure.SPO2, Measure.RESPIRATORY_RATE
    ),
    *checks_at(
        40,
        Measure.BLOOD_PRESSURE,
        Measure.HEART_RATE,
        Measure.SPO2,
        Measure.RESPIRATORY_RATE,
        Measure.MOAA_S,
        Measure.CADSS,
        Measure.IV_SITE,
    ),
    *BEFORE_DISCHARGE_VITALS,
)
