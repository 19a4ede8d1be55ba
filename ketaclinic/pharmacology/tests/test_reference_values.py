"""The shared reference's printed numbers (shared/domain/pharmacokinetics.md sections 1, 7)."""

import numpy as np
import pytest

from ketaclinic.pharmacology import Dose, exposure, get_model, list_models, simulate
from ketaclinic.pharmacology.engine import parameter_values, typical_disposition
from ketaclinic.pharmacology.solution import eigen_decomposition
from ketaclinic.pharmacology.solution import solve as _solve
from ketaclinic.pharmacology.structures import UNIT_FACTORS, Disposition

TIMES = [1, 5, 10, 20, 40, 45, 60, 80, 120, 240]
INFUSION = [Dose("iv", 35.0, 0.0, 40.0)]

# Section 7, "IV infusion vectors", 70 kg, 35 mg over 0-40 min, ng/mL to 4 decimals.
DOMINO_VECTOR = [
    100.5233,
    155.3369,
    181.8091,
    209.5842,
    240.3308,
    91.4126,
    55.1084,
    45.8091,
    35.8299,
    17.3410,
]
KAMP_VECTOR = [
    31.5070,
    109.3246,
    154.5315,
    198.2706,
    253.0518,
    154.9911,
    95.8600,
    73.7360,
    49.9062,
    25.6208,
]

# Section 7, Perez-Ruixo Table 4, typical Caucasian 18-60 y: dose mg -> (Cmax ng/mL, AUC0-24 ng*h/mL)
PEREZ_RUIXO_TABLE_4 = {28: (43.8, 147.3), 56: (72.5, 254.7), 84: (101.0, 362.2)}


@pytest.mark.parametrize(
    ("model", "vector"), [("domino1982", DOMINO_VECTOR), ("kamp2020", KAMP_VECTOR)]
)
def test_it_reproduces_the_infusion_vectors_to_every_printed_digit(model, vector):
    conc = simulate(model, 70.0, INFUSION, TIMES)
    assert [round(float(c), 4) for c in conc] == vector


@pytest.mark.parametrize("scaling", ["allometric", "linear"])
def test_kamp_weight_scaling_choices_agree_at_70_kg(scaling):
    conc = simulate("kamp2020", 70.0, INFUSION, TIMES, options={"weight_scaling": scaling})
    assert [round(float(c), 4) for c in conc] == KAMP_VECTOR


def test_kamp_weight_scaling_choices_differ_about_nine_percent_at_100_kg():
    dose = [Dose("iv", 50.0, 0.0, 40.0)]
    late = [240.0]
    allometric = simulate("kamp2020", 100.0, dose, late)[0]
    linear = simulate("kamp2020", 100.0, dose, late, options={"weight_scaling": "linear"})[0]
    assert 0.05 < allometric / linear - 1 < 0.15


def test_kamp_auc_to_infinity_after_35_mg_iv_is_416_7_ng_h_per_ml():
    result = exposure("kamp2020", 70.0, INFUSION, 240.0)
    assert result.auc_0_inf_ng_h_ml == pytest.approx(35.0 / 84.0 * 1000, rel=1e-12)
    assert round(result.auc_0_inf_ng_h_ml, 1) == 416.7


@pytest.mark.parametrize("mg", [28, 56, 84])
def test_it_reproduces_perez_ruixo_table_4_within_two_percent(mg):
    cmax, auc24 = PEREZ_RUIXO_TABLE_4[mg]
    result = exposure("perez_ruixo2021", 70.0, [Dose("esketamine_nasal", float(mg), 0.0)], 1440.0)
    assert result.cmax_ng_ml == pytest.approx(cmax, rel=0.02)
    assert result.auc_0_t_ng_h_ml == pytest.approx(auc24, rel=0.02)


@pytest.mark.parametrize("mg", [28, 56, 84])
def test_perez_ruixo_typical_tmax_falls_in_the_label_20_to_40_minutes(mg):
    result = exposure("perez_ruixo2021", 70.0, [Dose("esketamine_nasal", float(mg), 0.0)], 1440.0)
    assert 20.0 <= result.tmax_min <= 40.0


@pytest.mark.parametrize(("mg", "published"), [(56, 0.538), (84, 0.509)])
def test_perez_ruixo_absolute_bioavailability_matches_table_3(mg, published):
    nasal = exposure("perez_ruixo2021", 70.0, [Dose("esketamine_nasal", float(mg), 0.0)], 60.0)
    iv = exposure("perez_ruixo2021", 70.0, [Dose("iv", float(mg), 0.0)], 60.0)
    assert nasal.auc_0_inf_ng_h_ml / iv.auc_0_inf_ng_h_ml == pytest.approx(published, abs=5e-4)


def _typical_solution(model: str, weight: float = 70.0) -> Disposition:
    return typical_disposition(model, weight)


def test_perez_ruixo_steady_state_volume_is_752_l_and_clearance_109_l_per_h():
    disposition = _typical_solution("perez_ruixo2021")
    # The published Vss is Vc + Vp1 + Vp2; the hepato-portal volume Vh is not counted in it.
    assert float(disposition.volumes[0, :3].sum()) == pytest.approx(752.0, abs=0.5)
    qh, clint = 151.0, 101.0 * (1.11 + 2.77)
    assert qh * clint / (qh + clint) == pytest.approx(109.0, abs=0.5)
    iv = exposure("perez_ruixo2021", 70.0, [Dose("iv", 28.0, 0.0)], 60.0)
    assert 28.0 / iv.auc_0_inf_ng_h_ml * 1000 == pytest.approx(109.0, abs=0.5)


@pytest.mark.parametrize(
    "model", ["kamp2020", "domino1982", "clements1981", "hijazi2003", "herd2007"]
)
def test_macro_constants_sum_to_one_over_v1_and_their_integrals_to_one_over_cl(model):
    disposition = _typical_solution(model, weight=83.0)
    lam, u = eigen_decomposition(disposition)
    v1 = disposition.volumes[0, 0]
    a = u[0, 0, :] ** 2 / v1
    assert a.sum() == pytest.approx(1.0 / v1, rel=1e-12)
    assert (a / lam[0]).sum() == pytest.approx(1.0 / disposition.clearance[0], rel=1e-12)


def test_domino_derived_clearance_and_steady_state_volume():
    d = _typical_solution("domino1982")
    assert d.clearance[0] / 70.0 * 1000 == pytest.approx(27.6, abs=0.05)  # mL/kg/min
    assert d.volumes.sum() / 70.0 == pytest.approx(2.76, abs=0.01)  # L/kg


def test_clements_derived_clearance_and_half_life():
    d = _typical_solution("clements1981")
    assert d.clearance[0] * 60 == pytest.approx(80.0, abs=0.5)  # L/h at 70 kg
    lam, _ = eigen_decomposition(d)
    assert np.log(2) / lam[0].min() / 60 == pytest.approx(3.0, abs=0.1)  # h


def test_hijazi_micro_constants_reproduce_the_papers_clearance_half_life_and_v_beta():
    d = _typical_solution("hijazi2003")
    lam, _ = eigen_decomposition(d)
    beta = lam[0].min()
    assert d.clearance[0] / 70.0 * 1000 == pytest.approx(36.0, abs=0.05)  # mL/min/kg
    assert np.log(2) / beta / 60 == pytest.approx(4.9, abs=0.05)  # h
    assert d.clearance[0] / beta / 70.0 == pytest.approx(15.4, abs=0.05)  # L/kg


def test_every_parameter_names_its_unit_and_source():
    for spec in list_models():
        assert spec.population.description and spec.population.kind
        for p in spec.params:
            assert p.unit in UNIT_FACTORS, (spec.id, p.name)
            assert p.source.strip(), (spec.id, p.name)
            if p.iiv is not None:
                assert p.iiv.omega > 0 and p.iiv.source, (spec.id, p.name)


def test_the_solver_reports_exactly_the_model_inputs_it_was_given():
    spec = get_model("perez_ruixo2021")
    resolved = {k: o.default for k, o in spec.options.items()}
    values = parameter_values(spec)
    solution = _solve(
        spec,
        weight_kg=70.0,
        doses=(Dose("esketamine_nasal", 84.0, 0.0, device_interval_min=5.0),),
        values=values,
        resolved=resolved,
        age_years=None,
    )
    starts = sorted({term.start_min for term in solution.inputs})
    nasal = [float(t.amount_mg[0]) for t in solution.inputs if t.compartment == 0]
    assert starts == [0.0, 5.0, 10.0]
    assert nasal == pytest.approx([28 * 0.54, 28 * 0.54 * 0.62, 28 * 0.54 * 0.62])
