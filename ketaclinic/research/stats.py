"""Confidence intervals for the cohort page (pure: standard library only).

Wilson score interval for a binomial proportion [E. B. Wilson, JASA 22 (1927) 209-212]; recommended
over the Wald interval for small n and proportions near 0 or 1 [Brown, Cai & DasGupta, Statistical
Science 16 (2001) 101-133]. z = 1.959964 gives the two-sided 95 % interval.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """(low, high) of the Wilson score interval for ``successes`` out of ``n`` (n > 0)."""
    if n <= 0:
        raise ValueError("a proportion needs at least one observation")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def per_100(events: int, sessions: int) -> float | None:
    """Events per 100 sessions; None without sessions (not measured, never 0)."""
    return None if sessions == 0 else 100 * events / sessions
