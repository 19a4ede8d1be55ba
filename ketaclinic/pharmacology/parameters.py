"""Published ketamine and esketamine pharmacokinetic models, as data.

Every value sits beside its unit and its source. Sources are the shared reference's keys
(docs/pharmacology.md lists them in full):

[S1] opentiva `opentiva/ketamine.py`; [S2] Herd & Anderson, Paediatr Anaesth 2007;17:622-9;
[S3] Hornik et al., J Clin Pharmacol 2018; [S4] Kamp et al., Anesthesiology 2020;133:1192-1213;
[S5] AnaSim `anasim/patient/pk_models.py`; [S6] Hijazi et al., Br J Anaesth 2003;90:155-60;
[S9] Brunette et al., Paediatr Anaesth 2011;21:653-62; [S11a] Perez-Ruixo et al., Clin Pharmacokinet
2021;60:501-516, Table 3; [S11b] nlmixr2lib `PerezRuixo_2020_esketamine.R` (Table 3 transcription);
[S13] Yanagihara et al. 2003; [S16] Pharmacotherapy 2022;42:298-310 Table 6; [S20] primidi.com
(tertiary); [S35] fus_anes `TCI_Ketamine`.

`verified=False` marks values the shared reference could not check against the primary paper;
`assumption=True` marks labelled defaults that are not from the model's own paper. Both stay
overridable: pass `options={"<param name>": value}` to any engine function.

Units are converted once, by `Param.engine_value`, into L, L/min, 1/min and min.
"""

from __future__ import annotations

import math

import numpy as np

from ketaclinic.pharmacology.structures import (
    Disposition,
    Dose,
    FloatArray,
    Iiv,
    InputTerm,
    ModelSpec,
    Options,
    OptionSpec,
    Param,
    Population,
    Values,
)

AGE_UNKNOWN = math.inf

# ---------------------------------------------------------------------------------------------
# Route defaults for racemic ketamine given by a non-IV route. None of the racemic disposition
# models was estimated with these routes: every value here is an ASSUMPTION borrowed from the
# route literature (shared reference section 2 and 5.4), shown as such in the product.
# ---------------------------------------------------------------------------------------------

_ADULT_ROUTE_DEFAULTS: tuple[Param, ...] = (
    Param(
        "f_im",
        0.93,
        "fraction",
        "[S20] tertiary; primary Clements 1982 unverified (shared reference section 2)",
        "IM bioavailability, adults",
        verified=False,
        assumption=True,
    ),
    Param(
        "ka_im",
        0.1,
        "1/min",
        "assumption: middle of 0.05-0.2/min, the range that keeps Tmax in the reported 5-15 min "
        "(shared reference 5.4, derived); no adult IM ka is published",
        "IM first-order absorption rate",
        assumption=True,
    ),
    Param(
        "f_oral",
        0.20,
        "fraction",
        "[S20][S13] oral racemic 0.17-0.20, ~0.20 tablet (shared reference section 2)",
        "oral bioavailability, adults",
        assumption=True,
    ),
    Param(
        "ka_oral",
        0.0117,
        "1/min",
        "[S9] Brunette 2011, absorption t1/2 59 min (children, oral); known to under-predict adult "
        "oral Cmax (shared reference section 4)",
        "oral first-order absorption rate",
        assumption=True,
    ),
    Param(
        "f_intranasal",
        0.25,
        "fraction",
        "assumption: apparent F 0.2-0.3 implied by [S16] racemic IN observations with ka 2.93/h "
        "(shared reference 5.4, derived); published range 0.11-0.50, device-dependent; "
        "clinical.md section 3: IN 25-50% [primidi.com, tertiary], measured racemic IN 11-17% "
        "[PMC9118341 Table 6]",
        "intranasal bioavailability (racemic)",
        assumption=True,
    ),
    Param(
        "ka_intranasal",
        2.93,
        "1/h",
        "assumption: esketamine nasal ka_n of [S11a] Table 3 borrowed for racemic ketamine",
        "intranasal first-order absorption rate",
        assumption=True,
    ),
)


def _route_defaults_for_children() -> tuple[Param, ...]:
    replaced = {
        "f_im": Param(
            "f_im",
            0.41,
            "fraction",
            "[S3] Hornik 2018 (children, IM); numbers only in [S1]",
            "IM bioavailability, children",
            verified=False,
            assumption=True,
        ),
        "f_oral": Param(
            "f_oral",
            0.45,
            "fraction",
            "[S9] Brunette 2011 (burned children), 90% CI 0.33-0.58",
            "oral bioavailability, children",
            assumption=True,
        ),
    }
    return tuple(replaced.get(p.name, p) for p in _ADULT_ROUTE_DEFAULTS)


_RACEMIC_ROUTES = ("iv", "im", "oral", "intranasal")


def _ones(values: Values) -> FloatArray:
    first = next(iter(values.values()))
    return np.ones_like(first)


def _racemic_inputs(dose: Dose, values: Values, options: Options) -> list[InputTerm]:
    ones = _ones(values)
    if dose.route == "iv":
        return [InputTerm(dose.start_min, dose.mg * ones, 0, dose.duration_min)]
    f = values[f"f_{dose.route}"] if dose.bioavailability is None else dose.bioavailability * ones
    ka = values[f"ka_{dose.route}"] if dose.ka_per_min is None else dose.ka_per_min * ones
    return [InputTerm(dose.start_min, dose.mg * f, 0, dose.duration_min, ka)]


def _micro_constant_disposition(values: Values, weight_kg: float) -> Disposition:
    """V1 (L/kg) and micro-constants (1/min) -> volumes and flows, all linear in weight."""
    v1 = values["v1"] * weight_kg
    ones = np.ones_like(v1)
    volumes = [v1]
    flows = []
    edges = []
    for k, (kin, kout) in enumerate((("k12", "k21"), ("k13", "k31")), start=1):
        if kin not in values:
            continue
        q = values[kin] * v1
        volumes.append(q / values[kout])
        flows.append(q)
        edges.append((0, k))
    return Disposition(
        volumes=np.stack(volumes, axis=1),
        edges=tuple(edges),
        flows=np.stack(flows, axis=1) if flows else np.zeros((ones.size, 0)),
        clearance=values["k10"] * v1,
    )


def _build_micro(
    values: Values, weight_kg: float, options: Options, age: float | None
) -> Disposition:
    return _micro_constant_disposition(values, weight_kg)


def _scaled(value: FloatArray, weight_kg: float, how: str, clearance: bool) -> FloatArray:
    if how == "linear":
        return value * (weight_kg / 70.0)
    if how == "allometric":
        factor = float((weight_kg / 70.0) ** (0.75 if clearance else 1.0))
        return value * factor
    raise ValueError(f"weight_scaling must be 'linear' or 'allometric', got {how!r}")


def _build_kamp(
    values: Values, weight_kg: float, options: Options, age: float | None
) -> Disposition:
    how = str(options["weight_scaling"])
    vols = [_scaled(values[v], weight_kg, how, clearance=False) for v in ("v1", "v2", "v3")]
    flows = [_scaled(values[q], weight_kg, how, clearance=True) for q in ("q2", "q3")]
    return Disposition(
        volumes=np.stack(vols, axis=1),
        edges=((0, 1), (0, 2)),
        flows=np.stack(flows, axis=1),
        clearance=_scaled(values["cl"], weight_kg, how, clearance=True),
    )


def _build_herd(
    values: Values, weight_kg: float, options: Options, age: float | None
) -> Disposition:
    vols = [_scaled(values[v], weight_kg, "allometric", clearance=False) for v in ("v1", "v2")]
    return Disposition(
        volumes=np.stack(vols, axis=1),
        edges=((0, 1),),
        flows=_scaled(values["q"], weight_kg, "allometric", clearance=True)[:, None],
        clearance=_scaled(values["cl"], weight_kg, "allometric", clearance=True),
    )


# ---------------------------------------------------------------------------------------------
# Kamp 2020, 3-compartment set as coded in two simulators
# ---------------------------------------------------------------------------------------------

_KAMP_SRC = (
    "[S1] opentiva ketamine.py and [S5] AnaSim pk_models.py agree; Kamp et al. 2020 [S4] "
    "paper table unverified"
)
_HERD_IIV_BORROWED = (
    "ASSUMPTION: no IIV published for this set; CV borrowed from Herd & Anderson 2007 [S2] "
    "(the only racemic set in the reference with IIV on every disposition parameter)"
)

KAMP2020 = ModelSpec(
    id="kamp2020",
    title="Kamp 2020, 3-compartment (racemic ketamine)",
    reference="Kamp J, et al. Anesthesiology 2020;133:1192-1213, doi 10.1097/ALN.0000000000003577",
    structure="3-compartment mammillary, elimination from central",
    population=Population(
        kind="adults",
        description="adults; meta-analysis of 18 racemic ketamine studies "
        "(volunteers and patients)",
        source="[S4]",
        age_range_years=(18.0, AGE_UNKNOWN),
        weight_range_kg=(40.0, 150.0),
        weight_range_note="weight range of the pooled studies not in the shared reference; "
        "40-150 kg is an assumed adult range",
    ),
    params=(
        Param(
            "v1",
            25.0,
            "L/70 kg",
            _KAMP_SRC,
            "central volume",
            verified=False,
            iiv=Iiv("log", cv=0.64, source=_HERD_IIV_BORROWED + ", V1", assumption=True),
        ),
        Param(
            "v2",
            56.0,
            "L/70 kg",
            _KAMP_SRC,
            "fast peripheral volume",
            verified=False,
            iiv=Iiv("log", cv=0.517, source=_HERD_IIV_BORROWED + ", V2", assumption=True),
        ),
        Param(
            "v3",
            157.0,
            "L/70 kg",
            _KAMP_SRC,
            "slow peripheral volume",
            verified=False,
            iiv=Iiv("log", cv=0.517, source=_HERD_IIV_BORROWED + ", V2", assumption=True),
        ),
        Param(
            "cl",
            84.0,
            "L/h/70 kg",
            _KAMP_SRC,
            "elimination clearance",
            verified=False,
            iiv=Iiv("log", cv=0.381, source=_HERD_IIV_BORROWED + ", CL", assumption=True),
        ),
        Param(
            "q2",
            161.0,
            "L/h/70 kg",
            _KAMP_SRC,
            "fast inter-compartmental clearance",
            verified=False,
            iiv=Iiv("log", cv=0.19, source=_HERD_IIV_BORROWED + ", Q", assumption=True),
        ),
        Param(
            "q3",
            79.0,
            "L/h/70 kg",
            _KAMP_SRC,
            "slow inter-compartmental clearance",
            verified=False,
            iiv=Iiv("log", cv=0.19, source=_HERD_IIV_BORROWED + ", Q", assumption=True),
        ),
        *_ADULT_ROUTE_DEFAULTS,
    ),
    routes=_RACEMIC_ROUTES,
    weight_scaling="option weight_scaling: allometric (AnaSim, default) or linear (opentiva)",
    build=_build_kamp,
    inputs=_racemic_inputs,
    options={
        "weight_scaling": OptionSpec(
            "allometric",
            "How volumes and clearances scale from 70 kg: opentiva codes linear, AnaSim allometric "
            "(volumes x WT/70, clearances x (WT/70)^0.75); ~9% apart at 100 kg (shared reference "
            "section 4). Unresolved, so configurable.",
            choices=("allometric", "linear"),
        ),
    },
    notes=(
        "Meta-analysis point estimates: Vd 252 L/70 kg (CI 200-304), CL 79 L/h/70 kg (69-90) [S4].",
    ),
)

# ---------------------------------------------------------------------------------------------
# Domino 1982, Clements 1981, Hijazi 2003: micro-constant sets, weight-linear
# ---------------------------------------------------------------------------------------------

_DOMINO_SRC = "[S1] opentiva ketamine.py (Domino 1982, PMID 7198883); [S35] fus_anes TCI_Ketamine"

DOMINO1982 = ModelSpec(
    id="domino1982",
    title="Domino 1982, 3-compartment (racemic ketamine)",
    reference="Domino EF, et al. 1982 (PMID 7198883), as coded in opentiva [S1] and fus_anes [S35]",
    structure="3-compartment mammillary, elimination from central",
    population=Population(
        kind="adults",
        description="surgical adults",
        source="[S1]",
        age_range_years=(18.0, AGE_UNKNOWN),
        weight_range_kg=(40.0, 150.0),
        weight_range_note="weight range not in the shared reference; 40-150 kg is an assumed "
        "adult range",
    ),
    params=(
        Param("v1", 0.063, "L/kg", _DOMINO_SRC, "central volume"),
        Param("k10", 0.4381, "1/min", _DOMINO_SRC, "elimination rate constant"),
        Param("k12", 0.5921, "1/min", _DOMINO_SRC, "central to fast peripheral"),
        Param("k13", 0.5900, "1/min", _DOMINO_SRC, "central to slow peripheral"),
        Param("k21", 0.2470, "1/min", _DOMINO_SRC, "fast peripheral to central"),
        Param("k31", 0.0146, "1/min", _DOMINO_SRC, "slow peripheral to central"),
        *_ADULT_ROUTE_DEFAULTS,
    ),
    routes=_RACEMIC_ROUTES,
    weight_scaling="linear (V1 per kg, fixed micro-constants)",
    build=_build_micro,
    inputs=_racemic_inputs,
    notes=(
        "Derived: CL 27.6 mL/kg/min, Vss 2.76 L/kg. opentiva's ke0 0.652/min (effect site) is not "
        "used: the engine predicts plasma only.",
    ),
)

_CLEMENTS_SRC = "[S1] opentiva ketamine.py (Clements 1981, BJA 53:27, 'Clements250')"

CLEMENTS1981 = ModelSpec(
    id="clements1981",
    title="Clements 1981, 2-compartment (racemic ketamine)",
    reference="Clements JA, Nimmo WS. Br J Anaesth 1981;53:27, as coded in opentiva [S1]",
    structure="2-compartment mammillary, elimination from central",
    population=Population(
        kind="adults",
        description="adults (study population details not in the shared reference: unverified)",
        source="[S1]",
        age_range_years=(18.0, AGE_UNKNOWN),
        weight_range_kg=(40.0, 150.0),
        weight_range_note="weight range not in the shared reference; 40-150 kg is an assumed "
        "adult range",
    ),
    params=(
        Param("v1", 1.7522, "L/kg", _CLEMENTS_SRC, "central volume"),
        Param("k10", 0.0109, "1/min", _CLEMENTS_SRC, "elimination rate constant"),
        Param("k12", 0.0186, "1/min", _CLEMENTS_SRC, "central to peripheral"),
        Param("k21", 0.0137, "1/min", _CLEMENTS_SRC, "peripheral to central"),
        *_ADULT_ROUTE_DEFAULTS,
    ),
    routes=_RACEMIC_ROUTES,
    weight_scaling="linear (V1 per kg, fixed micro-constants)",
    build=_build_micro,
    inputs=_racemic_inputs,
    notes=("Derived: CL 19.1 mL/kg/min (80 L/h at 70 kg), terminal t1/2 ~3.0 h.",),
)

_HIJAZI_SRC = "[S1] opentiva ketamine.py; [S6] Hijazi et al. 2003"

HIJAZI2003 = ModelSpec(
    id="hijazi2003",
    title="Hijazi 2003, 2-compartment (racemic ketamine, adult ICU)",
    reference="Hijazi Y, et al. Br J Anaesth 2003;90:155-60",
    structure="2-compartment mammillary, elimination from central",
    population=Population(
        kind="intensive care",
        description="adult intensive-care patients with brain or spinal injury",
        source="[S6]",
        age_range_years=(18.0, AGE_UNKNOWN),
        weight_range_kg=(40.0, 150.0),
        weight_range_note="weight range not in the shared reference; 40-150 kg is an assumed "
        "adult range",
        always_warn="hijazi2003 comes from adult intensive-care patients with brain or spinal "
        "injury, an atypical population for an outpatient clinic",
    ),
    params=(
        Param("v1", 1.08, "L/kg", _HIJAZI_SRC, "central volume"),
        Param("k10", 0.0333, "1/min", _HIJAZI_SRC, "elimination rate constant"),
        Param("k12", 0.0088, "1/min", _HIJAZI_SRC, "central to peripheral"),
        Param("k21", 0.0030, "1/min", _HIJAZI_SRC, "peripheral to central"),
        *_ADULT_ROUTE_DEFAULTS,
    ),
    routes=_RACEMIC_ROUTES,
    weight_scaling="linear (V1 per kg, fixed micro-constants)",
    build=_build_micro,
    inputs=_racemic_inputs,
    notes=(
        "Reproduces the paper's CL 36 mL/min/kg and t1/2 4.9 h; V beta 15.4 L/kg derived "
        "(paper ~16) [S6].",
        "opentiva gives this adult model age_upper=18, which is wrong (shared reference 4).",
    ),
)

# ---------------------------------------------------------------------------------------------
# Herd & Anderson 2007, children
# ---------------------------------------------------------------------------------------------

_HERD_SRC = "[S2] Herd & Anderson 2007; values as tabulated in [S1]"

HERD2007 = ModelSpec(
    id="herd2007",
    title="Herd & Anderson 2007, 2-compartment (racemic ketamine, children)",
    reference="Herd DW, Anderson BJ. Paediatr Anaesth 2007;17:622-9, PMID 17564643",
    structure="2-compartment mammillary, elimination from central; allometric to 70 kg",
    population=Population(
        kind="children",
        description="children aged 1-14 years",
        source="[S2]",
        age_range_years=(1.0, 14.0),
        weight_range_kg=(8.0, 60.0),
        weight_range_note="weight range not in the shared reference; 8-60 kg is an assumed range "
        "for children aged 1-14",
    ),
    params=(
        Param(
            "v1",
            38.7,
            "L/70 kg",
            _HERD_SRC,
            "central volume",
            iiv=Iiv("log", cv=0.64, source=_HERD_SRC),
        ),
        Param(
            "v2",
            102.0,
            "L/70 kg",
            _HERD_SRC,
            "peripheral volume",
            iiv=Iiv("log", cv=0.517, source=_HERD_SRC),
        ),
        Param(
            "cl",
            90.0,
            "L/h/70 kg",
            _HERD_SRC,
            "elimination clearance",
            iiv=Iiv("log", cv=0.381, source=_HERD_SRC),
        ),
        Param(
            "q",
            215.0,
            "L/h/70 kg",
            _HERD_SRC,
            "inter-compartmental clearance",
            iiv=Iiv("log", cv=0.19, source=_HERD_SRC),
        ),
        *_route_defaults_for_children(),
    ),
    routes=_RACEMIC_ROUTES,
    weight_scaling="allometric: volumes x WT/70, clearances x (WT/70)^0.75",
    build=_build_herd,
    inputs=_racemic_inputs,
    notes=(
        "The abstract's 'half of children below 0.75 mg/L at 10 min after 1 mg/kg' is not "
        "reproduced by the typical parameters (shared reference 4); the scenario may differ.",
    ),
)

# ---------------------------------------------------------------------------------------------
# Perez-Ruixo 2021, esketamine nasal spray (Table 3 as transcribed in nlmixr2lib [S11b])
# Compartments: 0 central (Vc), 1 shallow peripheral (Vp1), 2 deep peripheral (Vp2),
# 3 hepato-portal "liver" (Vh). Elimination from the liver: CLint = Vh * (kel + kmet), which
# with Qh gives the well-stirred first pass. Noresketamine is not simulated (parent only).
# ---------------------------------------------------------------------------------------------

_PR = "[S11a] Perez-Ruixo 2021 Table 3 as transcribed in [S11b]"
PR_CENTRAL, PR_LIVER = 0, 3
PR_AGE_QH_DECREMENT = Param(
    "qh_age_slope",
    2.19,
    "L/h per year",
    _PR,
    "Qh falls by 2.19 L/h per year of age above 60 (applied before IIV)",
)
PR_AGE_QH_FROM_YEARS = 60.0
PR_QH_TYPICAL_L_MIN = 151.0 / 60.0  # Table 3 Qh; the age effect applies to it before IIV


def _build_perez_ruixo(
    values: Values, weight_kg: float, options: Options, age: float | None
) -> Disposition:
    qh = values["qh"]
    if age is not None and age > PR_AGE_QH_FROM_YEARS:
        # Qh_i = (theta - slope * (age - 60)) * exp(eta)
        #      = theta_i * (1 - slope * (age - 60) / theta)
        slope = PR_AGE_QH_DECREMENT.engine_value
        qh = qh * (1.0 - slope * (age - PR_AGE_QH_FROM_YEARS) / PR_QH_TYPICAL_L_MIN)
        if np.any(qh <= 0):
            raise ValueError(f"age {age} years gives a non-positive hepatic blood flow")
    kel = values["kel"] * (values["asian_kel_factor"] if float(options["asian"]) else 1.0)
    clint = values["vh"] * (kel + values["kmet"])
    return Disposition(
        volumes=np.stack([values["vc"], values["vp1"], values["vp2"], values["vh"]], axis=1),
        edges=((0, 1), (0, 2), (0, PR_LIVER)),
        flows=np.stack([values["q1"], values["q2"], qh], axis=1),
        clearance=clint,
        elimination_compartment=PR_LIVER,
    )


def _perez_ruixo_inputs(dose: Dose, values: Values, options: Options) -> list[InputTerm]:
    ones = _ones(values)
    if dose.route == "iv":
        return [InputTerm(dose.start_min, dose.mg * ones, PR_CENTRAL, dose.duration_min)]
    if dose.route == "oral":
        if dose.duration_min != 0:
            raise ValueError(
                "perez_ruixo2021 oral solution has its own zero-order time (Dpo 0.32 h); "
                "duration_min must be 0"
            )
        fgut = values["fgut"] if dose.bioavailability is None else dose.bioavailability * ones
        ka = values["ka_po"] if dose.ka_per_min is None else dose.ka_per_min * ones
        fill = float(values["dpo"][0])
        return [InputTerm(dose.start_min, dose.mg * fgut, PR_LIVER, fill, ka)]
    # esketamine_nasal: one 28 mg device at a time; device 2 onward absorb FRn x 0.62 nasally.
    frn_first = values["frn"]
    if float(options["japanese"]):
        frn_first = frn_first * values["japanese_frn_factor"]
    terms: list[InputTerm] = []
    device_mg = 28.0
    fill = float(values["dsw"][0])
    for k in range(dose.devices):
        frn = frn_first if k == 0 else frn_first * values["frn_subsequent_factor"]
        frn = np.minimum(frn, 1.0)
        start = dose.start_min + k * dose.device_interval_min
        terms.append(InputTerm(start, device_mg * frn, PR_CENTRAL, 0.0, values["ka_n"]))
        swallowed = device_mg * (1.0 - frn) * values["fgut"]
        terms.append(InputTerm(start, swallowed, PR_LIVER, fill, values["ka_sw"]))
    return terms


PEREZ_RUIXO2021 = ModelSpec(
    id="perez_ruixo2021",
    title="Perez-Ruixo 2021, esketamine nasal spray (3-compartment + hepato-portal)",
    reference="Perez-Ruixo C, et al. Clin Pharmacokinet 2021;60:501-516, "
    "doi 10.1007/s40262-020-00953-4",
    structure="3-compartment esketamine with a hepato-portal compartment (well-stirred first "
    "pass); nasal first-order absorption plus swallowed fraction (zero-order then first-order "
    "into the liver); noresketamine not simulated",
    population=Population(
        kind="treatment-resistant depression",
        description="820 subjects: 256 healthy volunteers and 564 patients with treatment-"
        "resistant depression, 18-86 years, 39-170 kg",
        source="[S11a] Table 2 as summarised in [S11b]",
        age_range_years=(18.0, 86.0),
        weight_range_kg=(39.0, 170.0),
    ),
    params=(
        Param(
            "frn",
            0.54,
            "fraction",
            _PR,
            "fraction of the first 28 mg device absorbed nasally",
            iiv=Iiv(
                "logit",
                sd=0.708,
                source=_PR + "; omega 70.8 read as SD on the logit scale as in [S11b] (unverified)",
            ),
        ),
        Param(
            "frn_subsequent_factor",
            0.62,
            "factor",
            _PR,
            "FRn multiplier for device 2 onward in one session",
        ),
        Param("japanese_frn_factor", 1.34, "factor", _PR, "FRn multiplier, Japanese"),
        Param(
            "ka_n", 2.93, "1/h", _PR, "nasal absorption rate", iiv=Iiv("log", cv=0.615, source=_PR)
        ),
        Param("fgut", 0.64, "fraction", _PR, "fraction of swallowed drug escaping gut metabolism"),
        Param("dsw", 0.53, "h", _PR, "zero-order time of the swallowed nasal fraction"),
        Param(
            "ka_sw",
            1.45,
            "1/h",
            _PR,
            "swallowed absorption rate into the liver",
            iiv=Iiv("log", cv=1.32, source=_PR),
        ),
        Param("dpo", 0.32, "h", _PR, "zero-order time of an oral solution"),
        Param(
            "ka_po",
            0.97,
            "1/h",
            _PR,
            "oral solution absorption rate into the liver",
            iiv=Iiv("log", cv=1.32, source=_PR),
        ),
        Param("vc", 192.0, "L", _PR, "central volume", iiv=Iiv("log", cv=0.275, source=_PR)),
        Param("q1", 84.3, "L/h", _PR, "central-shallow peripheral clearance"),
        Param(
            "vp1",
            143.0,
            "L",
            _PR,
            "shallow peripheral volume",
            iiv=Iiv("log", cv=0.493, source=_PR),
        ),
        Param("q2", 37.6, "L/h", _PR, "central-deep peripheral clearance"),
        Param("vp2", 417.0, "L", _PR, "deep peripheral volume"),
        Param(
            "qh",
            151.0,
            "L/h",
            _PR,
            "hepatic blood flow (age effect above 60 y)",
            iiv=Iiv("log", cv=0.232, source=_PR),
        ),
        Param("vh", 101.0, "L", _PR, "hepato-portal volume", iiv=Iiv("log", cv=0.346, source=_PR)),
        Param(
            "kel",
            1.11,
            "1/h",
            _PR,
            "hepatic elimination to other metabolites",
            iiv=Iiv("log", cv=1.20, source=_PR),
        ),
        Param("asian_kel_factor", 0.36, "factor", _PR, "kel multiplier, Asian"),
        Param(
            "kmet",
            2.77,
            "1/h",
            _PR,
            "hepatic metabolism to noresketamine",
            iiv=Iiv(
                "log",
                cv=0.30,
                assumption=True,
                source="UNVERIFIED: Table 3 omega(kmet) is blank; 30% is the nlmixr2lib "
                "placeholder [S11b]; override with options={'cv_kmet': ...}",
            ),
        ),
        PR_AGE_QH_DECREMENT,
    ),
    routes=("iv", "oral", "esketamine_nasal"),
    weight_scaling="none (weight was not a covariate)",
    build=_build_perez_ruixo,
    inputs=_perez_ruixo_inputs,
    options={
        "asian": OptionSpec(0.0, "1 for Asian race: kel x 0.36 (Table 3)"),
        "japanese": OptionSpec(0.0, "1 for Japanese: FRn x 1.34 (Table 3); set asian too"),
    },
    notes=(
        "Printed ODEs in the paper have typos; the structure follows the corrected encoding of "
        "[S11b] (shared reference 4).",
        "Derived: CL = Qh x E = 109 L/h (paper 114 L/h), Vss 752 L, F 0.538 / 0.509 at 56 / 84 mg.",
        "Residual error (27.6%) is not added: simulated values are individual predictions.",
    ),
)

MODELS: dict[str, ModelSpec] = {
    m.id: m for m in (KAMP2020, DOMINO1982, CLEMENTS1981, HIJAZI2003, HERD2007, PEREZ_RUIXO2021)
}
