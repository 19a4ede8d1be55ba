"""Independent test oracle: the published models written as plain ODEs, stepped by solve_ivp.

Built straight from the published numbers (the shared reference), not from the engine's builders or
input rules, so that an error in either shows up as a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ketaclinic.pharmacology import Dose

H = 60.0  # min per hour


@dataclass
class Channel:
    start: float
    amount: float  # mg reaching the depot or compartment
    fill: float  # 0: bolus
    target: int
    ka: float | None


def disposition_matrix(
    model: str, weight: float, age: float | None = None
) -> tuple[np.ndarray, float]:
    """Amount rate matrix K (1/min) and the plasma volume V0 (L), from the published values."""
    if model in {"domino1982", "clements1981", "hijazi2003"}:
        v1_per_kg, micro = {
            "domino1982": (0.063, (0.4381, 0.5921, 0.5900, 0.2470, 0.0146)),
            "clements1981": (1.7522, (0.0109, 0.0186, None, 0.0137, None)),
            "hijazi2003": (1.08, (0.0333, 0.0088, None, 0.0030, None)),
        }[model]
        k10, k12, k13, k21, k31 = micro
        if k13 is None or k31 is None:
            k = np.array([[-(k10 + k12), k21], [k12, -k21]])
        else:
            k = np.array([[-(k10 + k12 + k13), k21, k31], [k12, -k21, 0], [k13, 0, -k31]])
        return k, v1_per_kg * weight
    if model in {"kamp2020", "herd2007"}:
        s = weight / 70.0
        if model == "kamp2020":  # default weight scaling: allometric
            v = [25 * s, 56 * s, 157 * s]
            cl, q = 84 / H * s**0.75, [161 / H * s**0.75, 79 / H * s**0.75]
        else:
            v = [38.7 * s, 102 * s]
            cl, q = 90 / H * s**0.75, [215 / H * s**0.75]
        n = len(v)
        k = np.zeros((n, n))
        k[0, 0] = -(cl + sum(q)) / v[0]
        for i, qi in enumerate(q, start=1):
            k[i, 0] = qi / v[0]
            k[0, i] = qi / v[i]
            k[i, i] = -qi / v[i]
        return k, v[0]
    assert model == "perez_ruixo2021"
    vc, vp1, vp2, vh = 192.0, 143.0, 417.0, 101.0
    q1, q2 = 84.3 / H, 37.6 / H
    qh = (151.0 - 2.19 * max(0.0, (age or 0) - 60)) / H
    kel, kmet = 1.11 / H, 2.77 / H
    # compartments: central, p1, p2, liver
    k = np.array(
        [
            [-(q1 + q2 + qh) / vc, q1 / vp1, q2 / vp2, qh / vh],
            [q1 / vc, -q1 / vp1, 0, 0],
            [q2 / vc, 0, -q2 / vp2, 0],
            [qh / vc, 0, 0, -qh / vh - kel - kmet],
        ]
    )
    return k, vc


RACEMIC_F = {"im": 0.93, "oral": 0.20, "intranasal": 0.25}
RACEMIC_KA = {"im": 0.1, "oral": 0.0117, "intranasal": 2.93 / H}
CHILD_F = {"im": 0.41, "oral": 0.45, "intranasal": 0.25}


def channels(model: str, dose: Dose) -> list[Channel]:
    if dose.route == "iv":
        return [Channel(dose.start_min, dose.mg, dose.duration_min, 0, None)]
    if model == "perez_ruixo2021":
        if dose.route == "oral":
            f = 0.64 if dose.bioavailability is None else dose.bioavailability
            ka = 0.97 / H if dose.ka_per_min is None else dose.ka_per_min
            return [Channel(dose.start_min, dose.mg * f, 0.32 * H, 3, ka)]
        out = []
        for k in range(round(dose.mg / 28)):
            frn = 0.54 * (1 if k == 0 else 0.62)
            t = dose.start_min + k * dose.device_interval_min
            out.append(Channel(t, 28 * frn, 0.0, 0, 2.93 / H))
            out.append(Channel(t, 28 * (1 - frn) * 0.64, 0.53 * H, 3, 1.45 / H))
        return out
    table = CHILD_F if model == "herd2007" else RACEMIC_F
    f = table[dose.route] if dose.bioavailability is None else dose.bioavailability
    ka = RACEMIC_KA[dose.route] if dose.ka_per_min is None else dose.ka_per_min
    return [Channel(dose.start_min, dose.mg * f, dose.duration_min, 0, ka)]


def ode_concentration(
    model: str, weight: float, doses: list[Dose], times: np.ndarray, rtol: float = 1e-13
) -> np.ndarray:
    """Plasma ng/mL at `times` by stepping the full ODE (dispositions + one depot per channel)."""
    k, v0 = disposition_matrix(model, weight)
    chans = [c for d in doses for c in channels(model, d)]
    n = k.shape[0]
    size = n + len(chans)
    a = np.zeros((size, size))
    a[:n, :n] = k
    for i, c in enumerate(chans):
        if c.ka is not None:
            a[n + i, n + i] = -float(c.ka)
            a[c.target, n + i] = c.ka

    def rates(t: float) -> np.ndarray:
        r = np.zeros(size)
        for i, c in enumerate(chans):
            if c.fill > 0 and c.start <= t < c.start + c.fill:
                r[c.target if c.ka is None else n + i] += c.amount / c.fill
        return r

    events = sorted(
        {0.0, float(times[-1])} | {c.start for c in chans} | {c.start + c.fill for c in chans}
    )
    events = [e for e in events if e <= times[-1]]
    x = np.zeros(size)
    out = np.full(times.size, np.nan)
    for j, t0 in enumerate(events):
        for i, c in enumerate(chans):
            if c.fill == 0 and c.start == t0:
                x[c.target if c.ka is None else n + i] += c.amount
        t1 = events[j + 1] if j + 1 < len(events) else None
        here = (times >= t0) & (times < t1) if t1 is not None else times >= t0
        if t1 is None:
            out[here] = x[0] / v0 * 1000
            break
        mid = 0.5 * (t0 + t1)
        r = rates(mid)
        sol = solve_ivp(
            lambda _t, y, r=r: a @ y + r,
            (t0, t1),
            x,
            method="DOP853",
            rtol=rtol,
            atol=1e-16,
            t_eval=np.concatenate([times[here], [t1]]),
        )
        out[here] = sol.y[0, :-1] / v0 * 1000
        x = sol.y[:, -1]
    return out
