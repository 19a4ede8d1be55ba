"""The shipped eligibility rules, version ``2026-12.1``: each rule with its source.

Sources (shared/domain/clinical.md): SPRAVATO prescribing information section 4 (contraindications)
[USMed; WCM], warnings and section 8 [Label; HCP]; clinic screening exclusions [impactinfusions.com
FAQ; OsmindIntake]; ASRA/AAPM/ASA ketamine consensus [Cohen et al., Reg Anesth Pain Med
2018;43:521]. A change to any rule is a new version: decisions keep the version they used.
"""

from __future__ import annotations

from ketaclinic.screening.rules.engine import Condition, Level, Rule, RuleSet

VERSION = "2026-12.1"

ESKETAMINE = "esketamine"
RACEMIC = "racemic_ketamine"

_PI_CONTRA = "SPRAVATO prescribing information, section 4 Contraindications [USMed; WCM]"
_CLINICS = "Common clinic exclusion [impactinfusions.com FAQ; clinical.md section 5]"

RULES: tuple[Rule, ...] = (
    # Hard contraindications of the esketamine label.
    Rule(
        "aneurysmal_vascular_disease",
        Level.HARD,
        "Aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or peripheral "
        "arteries): esketamine is contraindicated.",
        _PI_CONTRA,
        (Condition("aneurysmal_vascular_disease", "is", True),),
        drugs=(ESKETAMINE,),
    ),
    Rule(
        "arteriovenous_malformation",
        Level.HARD,
        "Arteriovenous malformation: esketamine is contraindicated.",
        _PI_CONTRA,
        (Condition("arteriovenous_malformation", "is", True),),
        drugs=(ESKETAMINE,),
    ),
    Rule(
        "intracerebral_haemorrhage_history",
        Level.HARD,
        "History of intracerebral haemorrhage: esketamine is contraindicated.",
        _PI_CONTRA,
        (Condition("intracerebral_haemorrhage_history", "is", True),),
        drugs=(ESKETAMINE,),
    ),
    Rule(
        "hypersensitivity",
        Level.HARD,
        "Hypersensitivity to esketamine, ketamine or an excipient.",
        _PI_CONTRA + " (names ketamine as well as esketamine)",
        (Condition("hypersensitivity_ketamine", "is", True),),
    ),
    # Relative contraindications: a clinic may set each to precaution or off.
    Rule(
        "uncontrolled_hypertension",
        Level.RELATIVE,
        "Blood pressure above 140/90 mmHg: weigh the transient rise of blood pressure against "
        "the benefit.",
        "SPRAVATO prescribing information 5.6: pre-dose > 140/90 mmHg 'as a general guide' [HCP; "
        "clinical.md section 12]",
        (Condition("systolic_mmhg", "gt", 140), Condition("diastolic_mmhg", "gt", 90)),
    ),
    Rule(
        "psychosis_history",
        Level.RELATIVE,
        "History of psychosis: ketamine can worsen psychotic symptoms.",
        "Assess psychosis before starting [Label]; " + _CLINICS,
        (Condition("psychosis_history", "is", True),),
    ),
    Rule(
        "substance_use_disorder_active",
        Level.RELATIVE,
        "Active substance-use disorder: risk of abuse and misuse.",
        "Abuse and misuse boxed warning [WCM; HCP]; " + _CLINICS,
        (Condition("substance_use_disorder_active", "is", True),),
    ),
    Rule(
        "pregnancy",
        Level.RELATIVE,
        "Pregnant: esketamine may cause fetal harm.",
        "Embryo-fetal toxicity warning [Label p.8]; " + _CLINICS,
        (Condition("pregnant", "is", True),),
    ),
    Rule(
        "breastfeeding",
        Level.RELATIVE,
        "Breastfeeding is not recommended during treatment.",
        "SPRAVATO prescribing information, lactation [Label p.8]; " + _CLINICS,
        (Condition("breastfeeding", "is", True),),
    ),
    Rule(
        "severe_hepatic_impairment",
        Level.RELATIVE,
        "Severe hepatic impairment (Child-Pugh C): not recommended.",
        "SPRAVATO prescribing information 8.6 [clinical.md section 12]; Cohen 2018",
        (Condition("hepatic_impairment", "is", "severe"),),
    ),
    Rule(
        "raised_intracranial_pressure",
        Level.RELATIVE,
        "Raised intracranial pressure: a rise in blood pressure or intracranial pressure is a "
        "serious risk.",
        "Cohen et al. 2018 (ASRA/AAPM/ASA consensus); [DrOracle]",
        (Condition("raised_intracranial_pressure", "is", True),),
    ),
    Rule(
        "raised_intraocular_pressure",
        Level.RELATIVE,
        "Raised intraocular pressure.",
        "Cohen et al. 2018 (ASRA/AAPM/ASA consensus)",
        (Condition("raised_intraocular_pressure", "is", True),),
    ),
    Rule(
        "seizure_disorder",
        Level.RELATIVE,
        "Seizure disorder.",
        _CLINICS,
        (Condition("seizure_disorder", "is", True),),
    ),
    Rule(
        "age_under_18",
        Level.RELATIVE,
        "Under 18: the indications studied are adult ones.",
        "SPRAVATO indications: adults [HCP]; " + _CLINICS,
        (Condition("age_years", "lt", 18),),
    ),
    Rule(
        "trd_fewer_than_two_trials",
        Level.RELATIVE,
        "Treatment-resistant depression needs at least two adequate failed antidepressant "
        "trials in the current episode.",
        "SPRAVATO TRD indication [HCP]; payers' prior-authorization criteria [clinical.md "
        "section 7]",
        (Condition("adequate_failed_antidepressant_trials", "lt", 2),),
        drugs=(ESKETAMINE,),
        indications=("trd",),
    ),
    # Precautions: eligible, with care named.
    Rule(
        "controlled_hypertension",
        Level.PRECAUTION,
        "Hypertension, controlled today: blood pressure rises after each dose (peak ~40 min); "
        "check it before dosing and at 40 minutes.",
        "SPRAVATO warnings, increased blood pressure [HCP; USMed]",
        (
            Condition("hypertension", "is", True),
            Condition("systolic_mmhg", "le", 140),
            Condition("diastolic_mmhg", "le", 90),
        ),
        match="all",
    ),
    Rule(
        "bipolar_disorder",
        Level.PRECAUTION,
        "Bipolar disorder: confirm a mood stabiliser is in place; watch for manic switch.",
        "Intake flags [OsmindIntake; clinical.md section 5]",
        (Condition("bipolar_disorder", "is", True),),
    ),
    Rule(
        "moderate_hepatic_impairment",
        Level.PRECAUTION,
        "Moderate hepatic impairment (Child-Pugh B): may need longer monitoring.",
        "SPRAVATO prescribing information 8.6 [clinical.md section 12]",
        (Condition("hepatic_impairment", "is", "moderate"),),
    ),
)

PROTOCOLS: dict[str, tuple[str, str]] = {
    "esketamine_trd": (ESKETAMINE, "trd"),
    "esketamine_mdsi": (ESKETAMINE, "mdd_acute_suicidal_ideation"),
    "iv_racemic_depression": (RACEMIC, "mdd"),
    "iv_racemic_crps": (RACEMIC, "crps"),
    "im_racemic_depression": (RACEMIC, "mdd"),
    "oral_racemic_depression": (RACEMIC, "mdd"),
}

DEFAULT_RULESET = RuleSet(version=VERSION, rules=RULES, protocols=PROTOCOLS)
