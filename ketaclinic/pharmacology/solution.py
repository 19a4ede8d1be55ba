"""Exact solution of a linear (compartmental) ketamine or esketamine model, for a batch of subjects.

Used by :mod:`ketaclinic.pharmacology.engine`, which validates the input and runs it.

No ODE is stepped. Each subject's disposition is a mammillary system obeying detailed balance,
so with D = diag(volumes) the rate matrix K = M D^-1 (M symmetric: flows and clearance) has the
symmetric similar matrix S = D^-1/2 M D^-1/2. `numpy.linalg.eigh` on an (N, n, n) stack of S gives,
for every subject at once, real rates lambda_i > 0 and orthonormal U; a unit amount put into
compartment j gives a plasma concentration sum_i A_ij exp(-lambda_i t), with
A_ij = U_0i U_ji / sqrt(V_0 V_j).

Every input is a (possibly zero-order, over `fill`) delivery, either straight into a compartment or
through a first-order depot (rate ka). Its response per eigen-mode has a closed form:

  direct bolus       exp(-lambda tau)
  direct zero-order  (1/T) int_a^b exp(-lambda u) du,  a = max(tau - T, 0), b = max(tau, 0)
  through a depot    ka * (f(lambda) - f(ka)) / (ka - lambda), f the direct form above,

the last computed as a stable divided difference (so ka == lambda_i needs no special case). Doses
add by superposition. AUC is exact too: a mode y' = -lambda y + u integrates to
(cumulative input - y) / lambda.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ketaclinic.pharmacology.structures import Disposition, Dose, FloatArray, InputTerm, ModelSpec

MG_PER_L_TO_NG_PER_ML = 1000.0


def _phi(z: FloatArray) -> FloatArray:
    """(1 - exp(-z)) / z for z >= 0, with phi(0) = 1, accurate for every z."""
    safe = np.where(z == 0.0, 1.0, z)
    return np.where(z == 0.0, 1.0, -np.expm1(-safe) / safe)


def _direct(x: FloatArray, tau: FloatArray, fill: float) -> FloatArray:
    """Unit-amount response of modes with rates x (N, 1, k) > 0 to a bolus (fill 0) or a zero-order
    delivery over `fill`, at increasing tau (1, T, 1). One exponential per element: tau is sorted,
    so before, during and after the delivery are contiguous slices.
    """
    t = tau[0, :, 0]
    out = np.zeros((x.shape[0], t.size, x.shape[2]))
    begin = int(np.searchsorted(t, 0.0, side="left"))
    if fill == 0.0:
        out[:, begin:, :] = np.exp(-x * tau[:, begin:, :])
        return out
    end = int(np.searchsorted(t, fill, side="left"))
    xf = x * fill
    # during: (1 - exp(-x tau)) / (x T); after: exp(-x (tau - T)) (1 - exp(-x T)) / (x T)
    out[:, begin:end, :] = -np.expm1(-x * tau[:, begin:end, :]) / xf
    out[:, end:, :] = np.exp(-x * (tau[:, end:, :] - fill)) * (-np.expm1(-xf) / xf)
    return out


def _direct_divided_difference(
    lo: FloatArray, hi: FloatArray, tau: FloatArray, fill: float
) -> FloatArray:
    """(f(hi) - f(lo)) / (hi - lo) of `_direct` in the rate, lo <= hi, stable as hi -> lo."""
    d = hi - lo
    if fill == 0.0:
        t = np.maximum(tau, 0.0)
        return -t * np.exp(-lo * t) * _phi(d * t)
    a = np.maximum(tau - fill, 0.0)
    w = np.clip(tau, 0.0, fill)
    b = a + w
    g_lo = np.exp(-lo * a) * w * _phi(lo * w)
    ea = -a * np.exp(-lo * a) * _phi(d * a)
    eb = -b * np.exp(-lo * b) * _phi(d * b)
    return (ea - eb - g_lo) / hi / fill


def _delivered(tau: FloatArray, fill: float) -> FloatArray:
    if fill == 0.0:
        return np.where(tau >= 0.0, 1.0, 0.0)
    return np.clip(tau, 0.0, fill) / fill


@dataclass(frozen=True)
class Solution:
    """Eigen-decomposition of a batch of subjects plus their inputs."""

    lam: FloatArray  # (N, n) 1/min
    coef: dict[int, FloatArray]  # compartment -> A (N, n), 1/L
    inputs: tuple[InputTerm, ...]

    def _modes(self, term: InputTerm, tau: FloatArray) -> FloatArray:
        lam = self.lam[:, None, :]
        if term.ka_per_min is None:
            return _direct(lam, tau, term.fill_min)
        ka = term.ka_per_min[:, None, None]
        lo = np.minimum(lam, ka)
        hi = np.maximum(lam, ka)
        return -ka * _direct_divided_difference(lo, hi, tau, term.fill_min)

    def concentration(self, times: FloatArray) -> FloatArray:
        """Plasma concentration, ng/mL, shape (N, T)."""
        out = np.zeros((self.lam.shape[0], times.size))
        for term in self.inputs:
            tau = (times - term.start_min)[None, :, None]
            modes = self._modes(term, tau)
            out += term.amount_mg[:, None] * np.einsum(
                "ntk,nk->nt", modes, self.coef[term.compartment]
            )
        return out * MG_PER_L_TO_NG_PER_ML

    def auc(self, times: FloatArray) -> FloatArray:
        """AUC from 0 to each time, ng*min/mL, shape (N, T)."""
        out = np.zeros((self.lam.shape[0], times.size))
        lam = self.lam[:, None, :]
        for term in self.inputs:
            tau = (times - term.start_min)[None, :, None]
            cumulative = _delivered(tau, term.fill_min)
            if term.ka_per_min is not None:
                cumulative = cumulative - _direct(
                    term.ka_per_min[:, None, None], tau, term.fill_min
                )
            integral = (cumulative - self._modes(term, tau)) / lam
            out += term.amount_mg[:, None] * np.einsum(
                "ntk,nk->nt", integral, self.coef[term.compartment]
            )
        return out * MG_PER_L_TO_NG_PER_ML

    def auc_inf(self) -> FloatArray:
        """AUC from 0 to infinity, ng*min/mL, shape (N,)."""
        total = np.zeros(self.lam.shape[0])
        for term in self.inputs:
            total += term.amount_mg * np.sum(self.coef[term.compartment] / self.lam, axis=1)
        return total * MG_PER_L_TO_NG_PER_ML

    def breakpoints(self) -> list[float]:
        points = set()
        for term in self.inputs:
            points.add(term.start_min)
            points.add(term.start_min + term.fill_min)
        return sorted(points)


def eigen_decomposition(disposition: Disposition) -> tuple[FloatArray, FloatArray]:
    """Rates lambda (N, n) > 0, ascending-magnitude order reversed, and U (N, n, n)."""
    volumes = disposition.volumes
    n_subjects, n = volumes.shape
    m = np.zeros((n_subjects, n, n))
    for k, (a, b) in enumerate(disposition.edges):
        q = disposition.flows[:, k]
        m[:, a, b] += q
        m[:, b, a] += q
        m[:, a, a] -= q
        m[:, b, b] -= q
    e = disposition.elimination_compartment
    m[:, e, e] -= disposition.clearance
    scale = 1.0 / np.sqrt(volumes)
    s = m * scale[:, :, None] * scale[:, None, :]
    w, u = np.linalg.eigh(s)
    lam = -w
    if not np.all(lam > 0):
        raise ValueError("model parameters give a system that does not eliminate the drug")
    return lam, u


def solve(
    spec: ModelSpec,
    *,
    weight_kg: float,
    doses: tuple[Dose, ...],
    values: Mapping[str, FloatArray],
    resolved: Mapping[str, float | str],
    age_years: float | None,
) -> Solution:
    disposition = spec.build(values, weight_kg, resolved, age_years)
    lam, u = eigen_decomposition(disposition)
    inputs = tuple(term for dose in doses for term in spec.inputs(dose, values, resolved))
    volumes = disposition.volumes
    coef = {
        j: u[:, 0, :] * u[:, j, :] / np.sqrt(volumes[:, 0] * volumes[:, j])[:, None]
        for j in {term.compartment for term in inputs}
    }
    return Solution(lam=lam, coef=coef, inputs=inputs)
