"""The protocols ketaclinic ships, each number with its source beside it.

Sources are the short keys of ``shared/domain/clinical.md``. Where clinical.md marks a fact
**unverified**, or says nothing, the value below is a *project default*: it is still a setting of
the protocol version (a clinic copies the protocol and adjusts it, which makes a new version), and
the comment says so. Nothing here is clinical guidance; the clinic's prescribers own every value.

Scale codes in ``pre_session_scales`` (``phq9``, ``cssrs_screener``, ``nrs_pain``, ``bpi_sf``) are
codes the ``scales`` app registers (``ketaclinic.scales.list_scales()``); a test checks that every
shipped protocol names only registered scales.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ketaclinic.treatment.domain.protocol import (
    Anchor,
    DeviceRule,
    DischargeCriterion,
    DoseBasis,
    DoseRule,
    Drug,
    EscalationRule,
    Frequency,
    Measure,
    Phase,
    PlannedMeasurement,
    Protocol,
    Route,
    Source,
    Thresholds,
)

__all__ = [
    "ESKETAMINE_MDSI",
    "ESKETAMINE_TRD",
    "IM_RACEMIC_DEPRESSION",
    "IV_RACEMIC_CRPS",
    "IV_RACEMIC_DEPRESSION",
    "ORAL_RACEMIC_DEPRESSION",
    "SHIPPED_PROTOCOLS",
]

D = Decimal

# --------------------------------------------------------------------------------------------
# Shared pieces

_PRE = Anchor.PRE_DOSE
_AT = Anchor.DOSE_START
_END = Anchor.BEFORE_DISCHARGE

# Every session assesses these before dosing and before discharge, whatever the drug: blood
# pressure [HCP], SpO2 and respiratory rate (respiratory status, clinical.md 12: the boxed warning
# and the REMS goal), MOAA/S (sedation); heart rate before dosing. One tuple, so that a new rule
# reaches every shipped protocol at once.
_PREDOSE_VITALS = (
    PlannedMeasurement(Measure.BLOOD_PRESSURE, _PRE),
    PlannedMeasurement(Measure.HEART_RATE, _PRE),
    PlannedMeasurement(Measure.SPO2, _PRE),
    PlannedMeasurement(Measure.MOAA_S, _PRE),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, _PRE),
)
_BEFORE_DISCHARGE_VITALS = (
    PlannedMeasurement(Measure.BLOOD_PRESSURE, _END),
    PlannedMeasurement(Measure.SPO2, _END),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, _END),
    PlannedMeasurement(Measure.MOAA_S, _END),
)

#: Thresholds shared by the shipped protocols. Each is a setting of the protocol version.
_THRESHOLDS = Thresholds(
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

_ESKETAMINE_DISCHARGE = (
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

_RACEMIC_DISCHARGE = (
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
_ESKETAMINE_MONITORING = (
    *_PREDOSE_VITALS,
    PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 40),
    PlannedMeasurement(Measure.SPO2, _AT, 40),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 40),
    PlannedMeasurement(Measure.MOAA_S, _AT, 40),
    PlannedMeasurement(Measure.CADSS, _AT, 40),
    *_BEFORE_DISCHARGE_VITALS,
    PlannedMeasurement(Measure.CADSS, _END),
)

#: Moderate hepatic impairment (Child-Pugh B) "may need longer monitoring" (esketamine PI 8.6,
#: clinical.md 12); severe is not recommended (a prescriber's override, services/dose.py). The PI
#: gives no number: 3 hours (the 2-hour minimum plus 1 hour) is a PROJECT DEFAULT, a setting of
#: the protocol version for the clinic to review.
_ESKETAMINE_MODERATE_HEPATIC_MINUTES = 180

_ESKETAMINE_DEVICES = DeviceRule(
    mg_per_device=D("28"),  # one device = 28 mg (0.2 mL) [NDC]
    minutes_between_devices=5,  # 5 min rest between devices [MIMS; DrOracle]
)

# Pre-session scales: the issue asks for PHQ-9 (item 9 blocks dosing) and the C-SSRS screen;
# APA consensus asks for baseline scales [APA]; MBC every visit (clinical.md section 7).
_DEPRESSION_SCALES = ("phq9", "cssrs_screener")

_SOURCES_ESKETAMINE_COMMON = (
    Source("DailyMed", ">= 2 h observation every session, readiness-to-leave (boxed warning)"),
    Source("NDC", "28 mg per device; kits of 56 and 84 mg"),
    Source("MIMS", "5 min between devices; BP before and ~40 min after dosing"),
    Source("HCP", "BP before dosing and ~40 min after; pulse oximetry; no driving until next day"),
    Source("USMed", "BP rise >= 40/25 mmHg; MOAA/S sedation; loss of consciousness"),
    Source("REMS", "outpatient PMF after every session within 7 days"),
    Source("PMF", "vitals before dosing, at 40 min and before completion"),
)

# --------------------------------------------------------------------------------------------
# Esketamine

ESKETAMINE_TRD = Protocol(
    code="esketamine_trd",
    title="Esketamine nasal spray: treatment-resistant depression",
    drug=Drug.ESKETAMINE,
    route=Route.ESKETAMINE_NASAL,
    indication="trd",  # adult TRD, FDA-approved; monotherapy since 2025-01-21 [HCP; Beckers]
    dose=DoseRule(
        basis=DoseBasis.FIXED_MG,
        usual=D("56"),
        # 56 or 84 mg [HCP]. A non-US label starts >= 65 y at 28 mg [MIMS]; the US equivalent is
        # unverified, so 28 mg is not shipped: a clinic can copy the protocol and add it.
        minimum=D("56"),
        maximum=D("84"),
        cap=D("84"),
        fixed_doses_mg=(D("56"), D("84")),
        first_dose_mg=D("56"),  # day 1: 56 mg [HCP]
        # 84 mg only after a first 56 mg dose [HCP].
        escalations=(EscalationRule(dose_mg=D("84"), requires_prior_mg=D("56")),),
    ),
    devices=_ESKETAMINE_DEVICES,
    schedule=(
        # Weeks 1-4 twice weekly; benefit judged at the end of induction [HCP].
        # min_days_between_sessions=2 (e.g. Mon/Thu) is a project default, not label text.
        Phase(
            code="induction",
            name="Induction (weeks 1-4)",
            frequency=Frequency(sessions=2, per_weeks=1),
            length_weeks=4,
            min_days_between_sessions=2,
        ),
        # Weeks 5-8 weekly, 56 or 84 mg [HCP]. Never on consecutive days (every esketamine
        # phase; project default, as for induction): checked on moving and on dosing too.
        Phase(
            code="optimisation",
            name="Optimisation (weeks 5-8)",
            frequency=Frequency(sessions=1, per_weeks=1),
            length_weeks=4,
            min_days_between_sessions=2,
        ),
        # Week 9 on: every 2 weeks or weekly, the lowest frequency that keeps the response [HCP].
        Phase(
            code="maintenance",
            name="Maintenance (week 9 on)",
            frequency=Frequency(sessions=1, per_weeks=2),
            alternatives=(Frequency(sessions=1, per_weeks=1),),
            length_weeks=None,
            min_days_between_sessions=2,
        ),
    ),
    monitoring=_ESKETAMINE_MONITORING,
    thresholds=_THRESHOLDS,
    min_observation_minutes=120,  # >= 2 h every session [DailyMed; REMS]
    min_observation_minutes_moderate_hepatic=_ESKETAMINE_MODERATE_HEPATIC_MINUTES,
    discharge_criteria=_ESKETAMINE_DISCHARGE,
    pre_session_scales=_DEPRESSION_SCALES,
    rems_required=True,
    sources=(
        *_SOURCES_ESKETAMINE_COMMON,
        Source(
            "HCP",
            "TRD: day 1 56 mg, then 56/84 mg; twice weekly weeks 1-4, weekly 5-8, "
            "then every 2 weeks or weekly; 84 mg only after 56 mg",
        ),
        Source("Beckers", "TRD monotherapy approved 2025-01-21"),
    ),
)

ESKETAMINE_MDSI = Protocol(
    code="esketamine_mdsi",
    title="Esketamine nasal spray: depressive symptoms with acute suicidal ideation or behaviour",
    drug=Drug.ESKETAMINE,
    route=Route.ESKETAMINE_NASAL,
    indication="mdd_acute_suicidal_ideation",  # MDSI, FDA-approved [HCP]
    dose=DoseRule(
        basis=DoseBasis.FIXED_MG,
        usual=D("84"),  # 84 mg twice weekly [HCP]
        minimum=D("56"),  # 56 mg if 84 mg is not tolerated [HCP]
        maximum=D("84"),
        cap=D("84"),
        fixed_doses_mg=(D("56"), D("84")),
        first_dose_mg=D("84"),  # MDSI starts at 84 mg [HCP]; the 56-first rule is TRD's
    ),
    devices=_ESKETAMINE_DEVICES,
    schedule=(
        # Weeks 1-4 twice weekly; beyond 4 weeks not systematically evaluated [HCP], so the
        # course ends: no open-ended phase is shipped.
        Phase(
            code="treatment",
            name="Treatment (weeks 1-4)",
            frequency=Frequency(sessions=2, per_weeks=1),
            length_weeks=4,
            min_days_between_sessions=2,  # project default, as for TRD induction
        ),
    ),
    monitoring=_ESKETAMINE_MONITORING,
    thresholds=_THRESHOLDS,
    min_observation_minutes=120,  # >= 2 h every session [DailyMed; REMS]
    min_observation_minutes_moderate_hepatic=_ESKETAMINE_MODERATE_HEPATIC_MINUTES,
    discharge_criteria=_ESKETAMINE_DISCHARGE,
    pre_session_scales=_DEPRESSION_SCALES,
    rems_required=True,
    # MDSI: esketamine "in conjunction with an oral antidepressant" [HCP; clinical.md 12]: the
    # course records which one.
    requires_oral_antidepressant=True,
    sources=(
        *_SOURCES_ESKETAMINE_COMMON,
        Source("HCP", "MDSI: given with an oral antidepressant (clinical.md 12)"),
        Source(
            "HCP",
            "MDSI: 84 mg twice weekly weeks 1-4 (56 mg if not tolerated); "
            "> 4 weeks not systematically evaluated",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Racemic ketamine (not FDA-approved for any psychiatric disorder [FDA23]: all off-label)

#: IV monitoring: pre-dose vitals; vitals at the start, mid-infusion, the end of the 40-minute
#: infusion and before discharge; MOAA/S and CADSS at the end of the infusion. clinical.md gives no
#: IV monitoring minutes (APA's thresholds and staffing are unverified [APA]): PROJECT DEFAULTS.
_IV_MONITORING = (
    *_PREDOSE_VITALS,
    PlannedMeasurement(Measure.IV_SITE, _AT, 0),
    PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 20),
    PlannedMeasurement(Measure.HEART_RATE, _AT, 20),
    PlannedMeasurement(Measure.SPO2, _AT, 20),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 20),
    PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 40),
    PlannedMeasurement(Measure.HEART_RATE, _AT, 40),
    PlannedMeasurement(Measure.SPO2, _AT, 40),
    PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 40),
    PlannedMeasurement(Measure.MOAA_S, _AT, 40),
    PlannedMeasurement(Measure.CADSS, _AT, 40),
    PlannedMeasurement(Measure.IV_SITE, _AT, 40),
    *_BEFORE_DISCHARGE_VITALS,
)

IV_RACEMIC_DEPRESSION = Protocol(
    code="iv_racemic_depression",
    title="IV racemic ketamine infusion: depression (off-label)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV_INFUSION,
    indication="mdd",  # strongest for non-psychotic major depressive episodes [APA]
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        usual=D("0.5"),  # 0.5 mg/kg over 40 min [Andrade17]
        # Studied range 0.1-0.75 mg/kg [Andrade17]: above 0.75 a prescriber's override with a
        # reason; 1.0 mg/kg was no better than 0.5 and had more adverse effects (Fava et al.,
        # Mol Psychiatry 2020;25:1592), and is the ceiling of any depression protocol
        # (ceilings.py): above it, refused. Titration to 0.75 mg/kg after ~3 non-responses is
        # unverified [droracle.ai/articles/685389]. clinical.md section 12.
        minimum=D("0.1"),
        maximum=D("0.75"),
        cap=D("1.0"),
        # No weight-independent mg cap in clinical.md: left empty, a clinic setting.
        cap_total_mg=None,
    ),
    infusion_minutes=40,  # over 40 min [Andrade17]
    schedule=(
        # Acute course 4-6 infusions [Osmind 2023-09-21]; often 6 over ~2 weeks or twice weekly
        # [ketamine-infusion.com FAQ; floridaregionalpain.com]: six sessions, twice weekly over
        # 3 weeks by default, or three a week over 2 weeks. Maintenance is individualised
        # [Andrade17], so none is shipped.
        Phase(
            code="acute",
            name="Acute course (6 infusions over 2-3 weeks)",
            frequency=Frequency(sessions=2, per_weeks=1),
            alternatives=(Frequency(sessions=3, per_weeks=1),),
            length_weeks=3,
            session_count=6,
        ),
    ),
    monitoring=_IV_MONITORING,
    thresholds=_THRESHOLDS,  # expect ~+20/+5 mmHg [acceleratedpsychiatry.com]
    # clinical.md gives no observation time for racemic ketamine: the 40-min infusion plus
    # 40 min recovery is a PROJECT DEFAULT, unverified.
    min_observation_minutes=80,
    discharge_criteria=_RACEMIC_DISCHARGE,
    pre_session_scales=_DEPRESSION_SCALES,
    off_label=True,  # not FDA-approved for any psychiatric disorder [FDA23]
    experimental=False,
    sources=(
        Source("Andrade17", "0.5 mg/kg over 40 min; 0.1-0.75 mg/kg studied"),
        Source(
            "Fava 2020",
            "Mol Psychiatry 2020;25:1592: 1.0 mg/kg no better than 0.5 mg/kg, more adverse "
            "effects; 1.0 mg/kg is the ceiling (clinical.md 12)",
        ),
        Source("Osmind", "acute course 4-6 infusions (2023-09-21)"),
        Source("ketamine-infusion.com", "often 6 infusions over ~2 weeks or twice weekly"),
        Source("APA", "consensus: assessment, baseline scales; not a guideline"),
        Source("FDA23", "racemic ketamine not FDA-approved for psychiatric disorders"),
        Source("acceleratedpsychiatry.com", "no dose if resting BP > 140/90"),
        Source("USMed", "BP rise >= 40/25 mmHg as the alert threshold (esketamine data)"),
    ),
)

IV_RACEMIC_CRPS = Protocol(
    code="iv_racemic_crps",
    title="IV racemic ketamine infusion: complex regional pain syndrome (off-label)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV_INFUSION,
    indication="crps",
    # ASRA/AAPM/ASA consensus (Cohen et al. 2018), CRPS moderate evidence: 0.35 mg/kg/h over 4 h
    # daily x 10 days (shipped), or 22 mg/h x 4 days (a continuous inpatient regimen, not an
    # outpatient chair protocol: not shipped) [Cohen 2018].
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG_PER_HOUR,
        usual=D("0.35"),
        minimum=D("0.35"),  # the guideline gives one rate: any other rate is an override
        maximum=D("0.35"),
        # Cap: 0.4 mg/kg/h, the highest rate in the same consensus (spinal cord injury, weak
        # evidence) [Cohen 2018]. PROJECT DEFAULT: the consensus names no cap.
        cap=D("0.4"),
        # "Not to exceed 25 mg/h" (Schwartzman et al., Pain 2009;147:107, the study behind
        # Cohen 2018's recommendation; clinical.md 12): from 71.5 kg the computed rate is lowered
        # to 25 mg/h, shown beside the rate.
        cap_rate_mg_per_h=D("25"),
    ),
    infusion_minutes=240,  # over 4 h [Cohen 2018]
    schedule=(
        # "Daily x 10 days" [Cohen 2018]: 10 sessions, 5 a week over 2 weeks for clinics closed
        # at weekends; a 7-day clinic sets 7 sessions a week.
        Phase(
            code="course",
            name="Infusion course (10 sessions)",
            frequency=Frequency(sessions=5, per_weeks=1),
            length_weeks=2,
            session_count=10,
        ),
    ),
    # Vitals every 30 min through the 4-hour infusion: PROJECT DEFAULT (the consensus's
    # monitoring and staffing are unverified [asra.com]).
    monitoring=(
        PlannedMeasurement(Measure.BLOOD_PRESSURE, _PRE),
        PlannedMeasurement(Measure.HEART_RATE, _PRE),
        PlannedMeasurement(Measure.SPO2, _PRE),
        PlannedMeasurement(Measure.MOAA_S, _PRE),
        PlannedMeasurement(Measure.PAIN_NRS, _PRE),
        PlannedMeasurement(Measure.RESPIRATORY_RATE, _PRE),  # every session (clinical.md 12)
        PlannedMeasurement(Measure.IV_SITE, _AT, 0),
        *(
            PlannedMeasurement(m, _AT, minute)
            for minute in range(30, 241, 30)
            for m in (
                Measure.BLOOD_PRESSURE,
                Measure.HEART_RATE,
                Measure.SPO2,
                Measure.RESPIRATORY_RATE,
            )
        ),
        PlannedMeasurement(Measure.MOAA_S, _AT, 120),
        PlannedMeasurement(Measure.MOAA_S, _AT, 240),
        PlannedMeasurement(Measure.IV_SITE, _AT, 120),
        *_BEFORE_DISCHARGE_VITALS,
        PlannedMeasurement(Measure.PAIN_NRS, _END),
    ),
    thresholds=_THRESHOLDS,
    # 4-h infusion plus 30 min: PROJECT DEFAULT, unverified.
    min_observation_minutes=270,
    discharge_criteria=_RACEMIC_DISCHARGE,
    # Response: NRS drop >= 30% moderate, >= 50% substantial; BPI interference >= 1 point
    # [bandolier.org.uk IMMPACT]; ~2 NRS points clinically important (Farrar 2001).
    pre_session_scales=("nrs_pain", "bpi_sf"),
    off_label=True,
    experimental=False,
    sources=(
        Source(
            "Cohen 2018",
            "Reg Anesth Pain Med 2018;43:521-546: CRPS moderate evidence, "
            "0.35 mg/kg/h over 4 h daily x 10 days; benefit up to 12 weeks",
        ),
        Source(
            "asra.com",
            "avoid: poorly controlled CV disease, psychosis, severe hepatic "
            "impairment, raised ICP/IOP",
        ),
        Source(
            "Schwartzman 2009",
            "Pain 2009;147:107: 0.35 mg/kg/h over 4 h, not to exceed 25 mg/h (clinical.md 12)",
        ),
        Source("IMMPACT", "NRS and BPI response benchmarks"),
    ),
)

IM_RACEMIC_DEPRESSION = Protocol(
    code="im_racemic_depression",
    title="IM racemic ketamine: depression (off-label, experimental)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IM,
    indication="mdd",
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        # IM/SC bolus safe and effective [Andrade17]. The 0.5-1 mg/kg clinic range is
        # UNVERIFIED (clinical.md 3): every number here is a setting a clinic must confirm.
        # Above 0.5 mg/kg a prescriber's override with a reason (maximum, a setting a clinic may
        # change). Cap 0.75 mg/kg, the top of the studied range [Andrade17]: IM stays below the
        # 1 mg/kg IV induction bound (ceilings.py, im_induction), which no setting can pass.
        usual=D("0.5"),
        minimum=D("0.5"),
        maximum=D("0.5"),
        cap=D("0.75"),
    ),
    schedule=(
        # No sourced IM schedule: mirrors the IV acute course (PROJECT DEFAULT, unverified).
        Phase(
            code="acute",
            name="Acute course (6 sessions)",
            frequency=Frequency(sessions=2, per_weeks=1),
            length_weeks=3,
            session_count=6,
        ),
    ),
    monitoring=(
        *_PREDOSE_VITALS,
        PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 20),
        PlannedMeasurement(Measure.SPO2, _AT, 20),
        PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 20),
        PlannedMeasurement(Measure.MOAA_S, _AT, 20),
        PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 40),
        PlannedMeasurement(Measure.SPO2, _AT, 40),
        PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 40),
        PlannedMeasurement(Measure.CADSS, _AT, 40),
        *_BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=_THRESHOLDS,
    # IM bioavailability ~93% [primidi.com, tertiary] with a faster peak than an infusion: the
    # esketamine 2-h observation is used as a conservative PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=_RACEMIC_DISCHARGE,
    pre_session_scales=_DEPRESSION_SCALES,
    off_label=True,
    experimental=True,
    notes="Off-label and experimental: dose range unverified (clinical.md section 3).",
    sources=(
        Source("Andrade17", "IM/SC bolus safe and effective"),
        Source("FDA23", "racemic ketamine not FDA-approved for psychiatric disorders"),
    ),
)

ORAL_RACEMIC_DEPRESSION = Protocol(
    code="oral_racemic_depression",
    title="Oral racemic ketamine under supervision: depression (off-label, experimental)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.ORAL,
    indication="mdd",
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        usual=D("1.0"),  # RCT arms 1 vs 2 mg/kg [KheirAbadi & Golkar 2023]
        minimum=D("1.0"),
        maximum=D("2.0"),
        # ~2.0-2.5 mg/kg oral approximates IV exposure [Andrade 2019]: cap at 2.5 mg/kg and at
        # 300 mg, the highest fixed dose reported (25-300 mg) [Andrade 2019].
        cap=D("2.5"),
        cap_total_mg=D("300"),
    ),
    schedule=(
        # Twice weekly x 6 weeks [KheirAbadi & Golkar 2023].
        Phase(
            code="course",
            name="Course (twice weekly for 6 weeks)",
            frequency=Frequency(sessions=2, per_weeks=1),
            length_weeks=6,
        ),
    ),
    monitoring=(
        *_PREDOSE_VITALS,
        PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 30),
        PlannedMeasurement(Measure.BLOOD_PRESSURE, _AT, 60),
        PlannedMeasurement(Measure.SPO2, _AT, 60),
        PlannedMeasurement(Measure.RESPIRATORY_RATE, _AT, 60),
        PlannedMeasurement(Measure.MOAA_S, _AT, 60),
        PlannedMeasurement(Measure.CADSS, _AT, 60),
        *_BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=_THRESHOLDS,
    # Supervised dosing only: FDA warns of unmonitored home use of compounded oral ketamine
    # [FDA23]. 2-h observation: PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=_RACEMIC_DISCHARGE,
    pre_session_scales=_DEPRESSION_SCALES,
    off_label=True,
    experimental=True,
    notes="Off-label and experimental (Andrade 2019). Given in the clinic, never for home use.",
    sources=(
        Source(
            "Andrade 2019",
            "J Clin Psychiatry, 'Oral Ketamine for Depression, 2': "
            "0.25-7.0 mg/kg or 25-300 mg; ~2.0-2.5 mg/kg approximates IV exposure",
        ),
        Source("KheirAbadi & Golkar 2023", "RCT 1 vs 2 mg/kg twice weekly x 6 weeks"),
        Source("FDA23", "2023-10-10 warning on compounded oral ketamine"),
    ),
)

SHIPPED_PROTOCOLS: Mapping[str, Protocol] = {
    p.code: p
    for p in (
        ESKETAMINE_TRD,
        ESKETAMINE_MDSI,
        IV_RACEMIC_DEPRESSION,
        IV_RACEMIC_CRPS,
        IM_RACEMIC_DEPRESSION,
        ORAL_RACEMIC_DEPRESSION,
    )
}
