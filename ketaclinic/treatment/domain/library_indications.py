"""Shipped protocols for the other indications and routes (clinical.md section 13): PTSD and OCD
by IV infusion, anxiety by subcutaneous injection with ascending doses, depression by intranasal
racemic sprays. Each number with its source beside it (``library.py`` says how sources are cited).
Pure module."""

from __future__ import annotations

from decimal import Decimal

from ketaclinic.treatment.domain.library_parts import (
    AT,
    BEFORE_DISCHARGE_VITALS,
    DEPRESSION_SCALES,
    IV_MONITORING,
    PREDOSE_VITALS,
    RACEMIC_DISCHARGE,
    THRESHOLDS,
    checks_at,
)
from ketaclinic.treatment.domain.protocol import (
    DeviceRule,
    DoseBasis,
    DoseRule,
    Drug,
    FollowUpRating,
    Frequency,
    Measure,
    Phase,
    PlannedMeasurement,
    Protocol,
    Route,
    Source,
)

__all__ = ["IN_RACEMIC_DEPRESSION", "IV_RACEMIC_OCD", "IV_RACEMIC_PTSD", "SC_RACEMIC_ANXIETY"]

D = Decimal

# --------------------------------------------------------------------------------------------
# Other indications and routes (clinical.md section 13, sources checked 2026-12): all racemic
# ketamine, all off-label, evidence thinner than for depression; the prescriber owns every value.

IV_RACEMIC_PTSD = Protocol(
    code="iv_racemic_ptsd",
    title="IV racemic ketamine infusion: PTSD (off-label)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV_INFUSION,
    indication="ptsd",
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        usual=D("0.5"),  # 0.5 mg/kg over 40 min (Feder 2014; Feder 2021)
        # Veterans: 0.2 or 0.5 mg/kg did not beat placebo (Abdallah 2022), so 0.2-0.5 mg/kg is the
        # range shown; anything else is a prescriber's override with a reason. Cap 0.75 mg/kg,
        # the top of the studied IV range [Andrade17]: PROJECT DEFAULT for PTSD; the IV ceiling of
        # 1.0 mg/kg (ceilings.py) applies whatever the cap says.
        minimum=D("0.2"),
        maximum=D("0.5"),
        cap=D("0.75"),
    ),
    infusion_minutes=40,  # over 40 min (Feder 2014; Feder 2021)
    schedule=(
        # Six infusions over two consecutive weeks, three a week (Feder 2021). Sessions at least
        # a day apart: project default (Mon/Wed/Fri).
        Phase(
            code="acute",
            name="Acute course (6 infusions over 2 weeks)",
            frequency=Frequency(sessions=3, per_weeks=1),
            length_weeks=2,
            session_count=6,
        ),
    ),
    monitoring=IV_MONITORING,
    thresholds=THRESHOLDS,
    # 40-min infusion plus 40 min recovery, as the depression infusion: PROJECT DEFAULT.
    min_observation_minutes=80,
    discharge_criteria=RACEMIC_DISCHARGE,
    # PCL-5 is the PTSD outcome (10-point change clinically meaningful, scales.md); PHQ-9 and
    # the C-SSRS screen before every session as for depression (issue 16).
    pre_session_scales=("pcl5", "phq9", "cssrs_screener"),
    off_label=True,  # racemic ketamine is not FDA-approved for any psychiatric disorder [FDA23]
    experimental=False,  # clinical.md 13 marks PTSD off-label, not experimental
    notes=(
        "Off-label. Repeated infusions helped civilians (Feder 2021, N=30); in veterans, "
        "8 infusions at 0.2 or 0.5 mg/kg did not beat placebo (Abdallah 2022)."
    ),
    sources=(
        Source("Feder 2014", "JAMA Psychiatry 2014;71:681: single 0.5 mg/kg over 40 min"),
        Source(
            "Feder 2021",
            "Am J Psychiatry 2021;178:193: six infusions over 2 consecutive weeks (three a week)",
        ),
        Source(
            "Abdallah 2022",
            "Neuropsychopharmacology 2022, doi:10.1038/s41386-022-01266-9: 0.2 or 0.5 mg/kg "
            "twice weekly in veterans did not beat placebo",
        ),
        Source("Andrade17", "0.1-0.75 mg/kg studied IV (the cap)"),
        Source("PCL", "PCL-5: 10-point change clinically meaningful (scales.md)"),
        Source("FDA23", "racemic ketamine not FDA-approved for psychiatric disorders"),
    ),
)

IV_RACEMIC_OCD = Protocol(
    code="iv_racemic_ocd",
    title="IV racemic ketamine infusion: OCD (off-label, experimental)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.IV_INFUSION,
    indication="ocd",
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        usual=D("0.5"),  # 0.5 mg/kg over 40 min (Rodriguez 2013)
        minimum=D("0.5"),  # the one dose studied: any other is an override
        maximum=D("0.5"),
        cap=D("0.75"),  # top of the studied IV range [Andrade17]: PROJECT DEFAULT
    ),
    infusion_minutes=40,  # over 40 min (Rodriguez 2013)
    schedule=(
        # A single infusion (Rodriguez 2013); Y-BOCS again at one week (follow_up_ratings).
        Phase(
            code="single",
            name="Single infusion, Y-BOCS again at one week",
            frequency=Frequency(sessions=1, per_weeks=1),
            length_weeks=1,
            session_count=1,
        ),
    ),
    monitoring=IV_MONITORING,
    thresholds=THRESHOLDS,
    min_observation_minutes=80,  # as the depression infusion: PROJECT DEFAULT
    discharge_criteria=RACEMIC_DISCHARGE,
    # Y-BOCS before the infusion (response >= 35 % fall, Rodriguez 2013; remission <= 12,
    # Mataix-Cols 2016) and the C-SSRS screen before dosing (project default, as everywhere).
    pre_session_scales=("ybocs", "cssrs_screener"),
    # The Y-BOCS again one week after the infusion (Rodriguez 2013); counted from day 6 to day
    # 10: PROJECT DEFAULT (the trial rated at day 7; no source gives a window).
    follow_up_ratings=(
        FollowUpRating(scale="ybocs", days_after_dose=7, early_days=1, late_days=3),
    ),
    off_label=True,
    experimental=True,  # no sustained response in an open-label trial (Bloch 2012)
    notes=(
        "Off-label and experimental. Rate the Y-BOCS before the infusion and again one week "
        "later (Rodriguez 2013); an open-label trial found no sustained response (Bloch 2012)."
    ),
    sources=(
        Source(
            "Rodriguez 2013",
            "Neuropsychopharmacology 2013;38:2475: 0.5 mg/kg over 40 min, single infusion; "
            "response = Y-BOCS fall >= 35 %; Y-BOCS at one week",
        ),
        Source("Bloch 2012", "Biol Psychiatry 2012;72:964: no sustained response, open label"),
        Source("Mataix-Cols 2016", "World Psychiatry 2016: Y-BOCS remission <= 12"),
        Source("Andrade17", "0.1-0.75 mg/kg studied IV (the cap)"),
        Source("FDA23", "racemic ketamine not FDA-approved for psychiatric disorders"),
    ),
)

SC_RACEMIC_ANXIETY = Protocol(
    code="sc_racemic_anxiety",
    title="Subcutaneous racemic ketamine: refractory anxiety (off-label, experimental)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.SUBCUTANEOUS,
    indication="anxiety",  # treatment-refractory GAD / social anxiety (Glue 2017)
    dose=DoseRule(
        basis=DoseBasis.MG_PER_KG,
        usual=D("1.0"),  # maintenance 1 mg/kg (Glue 2018)
        minimum=D("0.25"),  # the steps 0.25, 0.5, 1 mg/kg (Glue 2017)
        maximum=D("1.0"),
        cap=D("1.0"),  # the highest dose studied; also the SC ceiling (ceilings.py)
    ),
    schedule=(
        # Ascending single doses 0.25, 0.5, 1 mg/kg about a week apart (Glue 2017).
        Phase(
            code="titration",
            name="Ascending doses (3 sessions about a week apart)",
            frequency=Frequency(sessions=1, per_weeks=1),
            length_weeks=3,
            session_count=3,
            min_days_between_sessions=5,  # "about a week": PROJECT DEFAULT
            dose_steps=(D("0.25"), D("0.5"), D("1.0")),
        ),
        # Responders maintained once or twice weekly for 3 months (Glue 2018) at the dose that
        # worked, chosen by the prescriber among the steps.
        Phase(
            code="maintenance",
            name="Maintenance (once or twice weekly for 3 months)",
            frequency=Frequency(sessions=1, per_weeks=1),
            alternatives=(Frequency(sessions=2, per_weeks=1),),
            length_weeks=13,
            min_days_between_sessions=2,  # PROJECT DEFAULT
            dose_from_steps_of="titration",
        ),
    ),
    monitoring=(
        *PREDOSE_VITALS,
        # BP rose ~10 mmHg at 30 min (Glue 2017): BP at 30 min; the rest PROJECT DEFAULTS.
        *checks_at(
            30,
            Measure.BLOOD_PRESSURE,
            Measure.HEART_RATE,
            Measure.SPO2,
            Measure.RESPIRATORY_RATE,
            Measure.MOAA_S,
            Measure.CADSS,
        ),
        PlannedMeasurement(Measure.BLOOD_PRESSURE, AT, 60),
        *BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=THRESHOLDS,
    # 2-h observation as for IM (absorbed within minutes): PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=RACEMIC_DISCHARGE,
    pre_session_scales=("gad7", "cssrs_screener"),  # GAD-7 before each session (issue 16)
    off_label=True,
    experimental=True,  # clinical.md 13
    notes=(
        "Off-label and experimental. Steps 0.25, 0.5 and 1 mg/kg about a week apart; "
        "responders continue at the dose that worked (Glue 2017; Glue 2018)."
    ),
    sources=(
        Source(
            "Glue 2017",
            "J Psychopharmacol 2017;31:1302: ascending SC 0.25, 0.5, 1 mg/kg about a week "
            "apart; BP rose ~10 mmHg at 30 min",
        ),
        Source(
            "Glue 2018",
            "J Psychopharmacol 2018 (2018-03-21): responders on 1 mg/kg SC once or twice "
            "weekly for 3 months",
        ),
        Source("Andrade17", "IM/SC bolus safe and effective"),
        Source("FDA23", "racemic ketamine not FDA-approved for psychiatric disorders"),
    ),
)

IN_RACEMIC_DEPRESSION = Protocol(
    code="in_racemic_depression",
    title="Intranasal racemic ketamine in the clinic: depression (off-label, experimental)",
    drug=Drug.RACEMIC_KETAMINE,
    route=Route.INTRANASAL_RACEMIC,
    indication="mdd",
    dose=DoseRule(
        basis=DoseBasis.FIXED_MG,
        usual=D("50"),  # 50 mg (Lapidus 2014)
        minimum=D("50"),  # the one dose studied: also the ceiling (ceilings.py)
        maximum=D("50"),
        cap=D("50"),
        fixed_doses_mg=(D("50"),),
    ),
    devices=DeviceRule(
        mg_per_device=D("10"),  # five 10 mg sprays (Lapidus 2014)
        minutes_between_devices=5,  # 5 min apart (Lapidus 2014)
        unit="spray",
        concentration_mg_per_ml=D("100"),  # 100 mg/mL in saline (Lapidus 2014)
    ),
    schedule=(
        # Lapidus 2014 was a single-dose crossover: no course is sourced. One session, then the
        # prescriber decides: PROJECT DEFAULT.
        Phase(
            code="single",
            name="Single dose (response judged at 24 h)",
            frequency=Frequency(sessions=1, per_weeks=1),
            length_weeks=1,
            session_count=1,
        ),
    ),
    monitoring=(
        *PREDOSE_VITALS,
        # Minutes as for the esketamine devices (BP ~40 min after dosing [HCP]): PROJECT DEFAULT.
        *checks_at(
            40,
            Measure.BLOOD_PRESSURE,
            Measure.SPO2,
            Measure.RESPIRATORY_RATE,
            Measure.MOAA_S,
            Measure.CADSS,
        ),
        *BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=THRESHOLDS,
    # 2-h observation as for the esketamine devices: PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=RACEMIC_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
    off_label=True,
    experimental=True,  # clinical.md 13
    notes=(
        "Off-label and experimental; given in the clinic only. Compounded nasal ketamine: "
        "FDA warning 2023-10-10."
    ),
    sources=(
        Source(
            "Lapidus 2014",
            "Biol Psychiatry 2014;76:970: 50 mg as five 10 mg sprays (100 mg/mL in saline) "
            "5 min apart; crossover, 44 % response at 24 h",
        ),
        Source("FDA23", "2023-10-10 warning on compounded (incl. nasal) ketamine"),
        Source("BrainCloud", "store sprays x mg per spray"),
    ),
)
