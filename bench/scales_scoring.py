"""Benchmark: score 1,000,000 PHQ-9 answer sets through ketaclinic.scales.score().

Not a timed test. Prints the time of score() and, measured in the same run over the same
lists, two baselines: a plain ``sum()`` and a hand-written "validate and sum" loop (what
the least a correct scorer must do). Run: ``.venv/bin/python bench/scales_scoring.py``.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence

from ketaclinic.scales import score


def _answer_sets(count: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randint(0, 3) for _ in range(9)] for _ in range(count)]


def _naive_validate_and_sum(answers: Sequence[int]) -> int:
    if len(answers) != 9:
        raise ValueError("count")
    for value in answers:
        if type(value) is not int or not 0 <= value <= 3:
            raise ValueError("range")
    return sum(answers)


def _best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    sets = _answer_sets(args.count, args.seed)
    with_flag = sum(1 for s in sets if s[8] > 0)

    # The timed loops keep no results (holding a million result objects would time the
    # garbage collector, not the scoring); correctness is checked once beforehand.
    def run_score() -> None:
        for answers in sets:
            score("phq9", answers)

    def run_sum() -> None:
        for answers in sets:
            sum(answers)

    def run_naive() -> None:
        for answers in sets:
            _naive_validate_and_sum(answers)

    results = [score("phq9", answers) for answers in sets]
    assert all(r.total == sum(s) for r, s in zip(results, sets, strict=True))
    flagged = sum(1 for r in results if "suicidal_ideation" in r.flags)
    assert flagged == with_flag

    t_score = _best_of(args.repeats, run_score)
    t_sum = _best_of(args.repeats, run_sum)
    t_naive = _best_of(args.repeats, run_naive)

    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.repeats}")
    print(f"PHQ-9 answer sets: {args.count:,} ({flagged:,} with item 9 > 0)")
    print(f"score('phq9', a):        {t_score:7.3f} s  {t_score / args.count * 1e9:6.0f} ns/call")
    print(f"baseline sum(a):         {t_sum:7.3f} s  {t_sum / args.count * 1e9:6.0f} ns/call")
    print(f"baseline validate+sum:   {t_naive:7.3f} s  {t_naive / args.count * 1e9:6.0f} ns/call")
    print(f"ratio score / sum:            {t_score / t_sum:5.1f}x")
    print(f"ratio score / validate+sum:   {t_score / t_naive:5.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
