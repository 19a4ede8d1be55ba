"""Benchmark of the exposure simulator (issue 5).

Run: .venv/bin/python bench/pk_population.py [--quick]

1. 10,000 virtual patients x 241 time points (0-240 min), Kamp 2020 IV 35 mg over 40 min at 70 kg,
   with inter-individual variability: ketaclinic.pharmacology.simulate_population.
2. Baseline measured in the same run: one scipy solve_ivp per subject (LSODA, rtol 1e-8, atol 1e-12)
   on 50 of the same subjects, scaled to 10,000; both times, the ratio, and their agreement.
3. 1,000,000 subjects streamed with iter_population (per-subject Cmax and the mean curve kept),
   with the peak memory traced by tracemalloc and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc

import numpy as np
from scipy.integrate import solve_ivp

from ketaclinic.pharmacology import Dose, iter_population, simulate_population
from ketaclinic.pharmacology.engine import parameter_values

MODEL = "kamp2020"
WEIGHT = 70.0
DOSES = [Dose("iv", 35.0, 0.0, 40.0)]
TIMES = np.arange(0.0, 241.0, 1.0)
SEED = 2024


def vectorised(n: int) -> np.ndarray:
    return simulate_population(MODEL, WEIGHT, DOSES, TIMES, n=n, seed=SEED)


def baseline(n: int) -> np.ndarray:
    """One solve_ivp per subject, on the same draws as simulate_population (same seed)."""
    values = parameter_values(MODEL, n, np.random.default_rng(SEED))
    out = np.empty((n, TIMES.size))
    rate = 35.0 / 40.0  # mg/min
    for i in range(n):
        v1, v2, v3 = values["v1"][i], values["v2"][i], values["v3"][i]  # at 70 kg, no scaling
        cl, q2, q3 = values["cl"][i], values["q2"][i], values["q3"][i]
        k = np.array(
            [
                [-(cl + q2 + q3) / v1, q2 / v2, q3 / v3],
                [q2 / v1, -q2 / v2, 0.0],
                [q3 / v1, 0.0, -q3 / v3],
            ]
        )
        during = TIMES <= 40.0
        first = solve_ivp(
            lambda _t, x, k=k: k @ x + np.array([rate, 0.0, 0.0]),
            (0.0, 40.0),
            np.zeros(3),
            method="LSODA",
            rtol=1e-8,
            atol=1e-12,
            t_eval=TIMES[during],
        )
        second = solve_ivp(
            lambda _t, x, k=k: k @ x,
            (40.0, 240.0),
            first.y[:, -1],
            method="LSODA",
            rtol=1e-8,
            atol=1e-12,
            t_eval=TIMES[~during],
        )
        out[i, during] = first.y[0] / v1 * 1000
        out[i, ~during] = second.y[0] / v1 * 1000
    return out


def best_of(repeats: int, fn, *args):  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def stream(n: int) -> tuple[float, float, float, np.ndarray]:
    tracemalloc.start()
    start = time.perf_counter()
    cmax = np.empty(n)
    total = np.zeros(TIMES.size)
    row = 0
    for block in iter_population(MODEL, WEIGHT, DOSES, TIMES, n=n, seed=SEED):
        cmax[row : row + block.shape[0]] = block.max(axis=1)
        total += block.sum(axis=0)
        row += block.shape[0]
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, cmax.nbytes / 2**20, np.percentile(cmax, [5, 50, 95])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--quick", action="store_true", help="100,000 instead of 1,000,000 streamed"
    )
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}")
    print(f"python {platform.python_version()}, numpy {np.__version__}")

    n = 10_000
    vectorised(100)  # warm-up (imports, caches)
    t_vec, sims = best_of(5, vectorised, n)
    print(f"vectorised: {n} x {TIMES.size} Kamp IV with IIV: {t_vec * 1000:.1f} ms (best of 5)")

    n_base = 50
    t_base, base = best_of(3, baseline, n_base)
    per_subject = t_base / n_base
    scaled = per_subject * n
    print(
        f"baseline: solve_ivp per subject (LSODA rtol 1e-8): {n_base} subjects {t_base:.2f} s (best of 3), "
        f"{per_subject * 1000:.1f} ms/subject, scaled to {n}: {scaled:.1f} s"
    )
    print(f"ratio: {scaled / t_vec:.0f}x faster than the per-subject ODE baseline")
    diff = np.abs(sims[:n_base] - base) / np.maximum(np.abs(base), 1e-9)
    print(
        f"agreement on the {n_base} shared subjects: max relative difference {diff[:, 1:].max():.1e}"
    )
    p5, p50, p95 = np.percentile(sims[:, 40], [5, 50, 95])
    print(f"Cmax band at 40 min (5/50/95%): {p5:.1f} / {p50:.1f} / {p95:.1f} ng/mL")

    big = 100_000 if args.quick else 1_000_000
    elapsed, peak_mib, kept_mib, cmax_band = stream(big)
    print(
        f"streamed: {big} x {TIMES.size} in {elapsed:.1f} s; traced peak {peak_mib:.1f} MiB "
        f"(of which {kept_mib:.1f} MiB is the kept per-subject Cmax; a full result would be "
        f"{big * TIMES.size * 8 / 2**20:.0f} MiB); Cmax 5/50/95%: "
        + " / ".join(f"{c:.1f}" for c in cmax_band)
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (whole run, includes the 10,000-subject result): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
