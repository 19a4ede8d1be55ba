"""The protocols ketaclinic ships, each number with its source beside it.

Sources are the short keys of ``shared/domain/clinical.md``. Where clinical.md marks a fact
**unverified**, or says nothing, the value below is a *project default*: it is still a setting of
the protocol version (a clinic copies the protocol and adjusts it, which makes a new version), and
the comment says so. Nothing here is clinical guidance; the clinic's prescribers own every value.

Scale codes in ``pre_session_scales`` (``phq9``, ``cssrs_screener``, ``nrs_pain``, ``bpi_sf``,
``pcl5``, ``ybocs``, ``gad7``) are codes the ``scales`` app registers
(``ketaclinic.scales.list_scales()``); a test checks that every shipped protocol names only
registered scales. Shared pieces live in ``library_parts.py``; the protocols for PTSD, OCD,
anxiety and intranasal racemic depression (clinical.md 13) in ``library_indications.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ketaclinic.treatment.domain.library_indications import (
    IN_RACEMIC_DEPRESSION,
    IV_RACEMIC_OCD,
    IV_RACEMIC_PTSD,
    SC_RACEMIC_ANXIETY,
)
from ketaclinic.treatment.domain.library_parts import (
    AT,
    BEFORE_DISCHARGE_VITALS,
    DEPRESSION_SCALES,
    END,
    ESKETAMINE_DEVICES,
    ESKETAMINE_DISCHARGE,
    ESKETAMINE_MODERATE_HEPATIC_MINUTES,
    ESKETAMINE_MONITORING,
    IV_MONITORING,
    PRE,
    PREDOSE_VITALS,
    RACEMIC_DISCHARGE,
    SOURCES_ESKETAMINE_COMMON,
    THRESHOLDS,
    checks_at,
)
from ketaclinic.treatment.domain.protocol import (
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
)

__all__ = [
    "ESKETAMINE_MDSI",
    "ESKETAMINE_TRD",
    "IM_RACEMIC_DEPRESSION",
    "IN_RACEMIC_DEPRESSION",
    "IV_RACEMIC_CRPS",
    "IV_RACEMIC_DEPRESSION",
    "IV_RACEMIC_OCD",
    "IV_RACEMIC_PTSD",
    "ORAL_RACEMIC_DEPRESSION",
    "SC_RACEMIC_ANXIETY",
    "SHIPPED_PROTOCOLS",
]

D = Decimal

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
    devices=ESKETAMINE_DEVICES,
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
    monitoring=ESKETAMINE_MONITORING,
    thresholds=THRESHOLDS,
    min_observation_minutes=120,  # >= 2 h every session [DailyMed; REMS]
    min_observation_minutes_moderate_hepatic=ESKETAMINE_MODERATE_HEPATIC_MINUTES,
    discharge_criteria=ESKETAMINE_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
    rems_required=True,
    sources=(
        *SOURCES_ESKETAMINE_COMMON,
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
    devices=ESKETAMINE_DEVICES,
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
    monitoring=ESKETAMINE_MONITORING,
    thresholds=THRESHOLDS,
    min_observation_minutes=120,  # >= 2 h every session [DailyMed; REMS]
    min_observation_minutes_moderate_hepatic=ESKETAMINE_MODERATE_HEPATIC_MINUTES,
    discharge_criteria=ESKETAMINE_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
    rems_required=True,
    # MDSI: esketamine "in conjunction with an oral antidepressant" [HCP; clinical.md 12]: the
    # course records which one.
    requires_oral_antidepressant=True,
    sources=(
        *SOURCES_ESKETAMINE_COMMON,
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
    monitoring=IV_MONITORING,
    thresholds=THRESHOLDS,  # expect ~+20/+5 mmHg [acceleratedpsychiatry.com]
    # clinical.md gives no observation time for racemic ketamine: the 40-min infusion plus
    # 40 min recovery is a PROJECT DEFAULT, unverified.
    min_observation_minutes=80,
    discharge_criteria=RACEMIC_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
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
        PlannedMeasurement(Measure.BLOOD_PRESSURE, PRE),
        PlannedMeasurement(Measure.HEART_RATE, PRE),
        PlannedMeasurement(Measure.SPO2, PRE),
        PlannedMeasurement(Measure.MOAA_S, PRE),
        PlannedMeasurement(Measure.PAIN_NRS, PRE),
        PlannedMeasurement(Measure.RESPIRATORY_RATE, PRE),  # every session (clinical.md 12)
        PlannedMeasurement(Measure.IV_SITE, AT, 0),
        *(
            PlannedMeasurement(m, AT, minute)
            for minute in range(30, 241, 30)
            for m in (
                Measure.BLOOD_PRESSURE,
                Measure.HEART_RATE,
                Measure.SPO2,
                Measure.RESPIRATORY_RATE,
            )
        ),
        PlannedMeasurement(Measure.MOAA_S, AT, 120),
        PlannedMeasurement(Measure.MOAA_S, AT, 240),
        PlannedMeasurement(Measure.IV_SITE, AT, 120),
        *BEFORE_DISCHARGE_VITALS,
        PlannedMeasurement(Measure.PAIN_NRS, END),
    ),
    thresholds=THRESHOLDS,
    # 4-h infusion plus 30 min: PROJECT DEFAULT, unverified.
    min_observation_minutes=270,
    discharge_criteria=RACEMIC_DISCHARGE,
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
        *PREDOSE_VITALS,
        *checks_at(
            20, Measure.BLOOD_PRESSURE, Measure.SPO2, Measure.RESPIRATORY_RATE, Measure.MOAA_S
        ),
        *checks_at(
            40, Measure.BLOOD_PRESSURE, Measure.SPO2, Measure.RESPIRATORY_RATE, Measure.CADSS
        ),
        *BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=THRESHOLDS,
    # IM bioavailability ~93% [primidi.com, tertiary] with a faster peak than an infusion: the
    # esketamine 2-h observation is used as a conservative PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=RACEMIC_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
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
        *PREDOSE_VITALS,
        PlannedMeasurement(Measure.BLOOD_PRESSURE, AT, 30),
        *checks_at(
            60,
            Measure.BLOOD_PRESSURE,
            Measure.SPO2,
            Measure.RESPIRATORY_RATE,
            Measure.MOAA_S,
            Measure.CADSS,
        ),
        *BEFORE_DISCHARGE_VITALS,
    ),
    thresholds=THRESHOLDS,
    # Supervised dosing only: FDA warns of unmonitored home use of compounded oral ketamine
    # [FDA23]. 2-h observation: PROJECT DEFAULT, unverified.
    min_observation_minutes=120,
    discharge_criteria=RACEMIC_DISCHARGE,
    pre_session_scales=DEPRESSION_SCALES,
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
        IV_RACEMIC_PTSD,
        IV_RACEMIC_OCD,
        SC_RACEMIC_ANXIETY,
        IN_RACEMIC_DEPRESSION,
    )
}
