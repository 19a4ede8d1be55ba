"""The in-process window counter behind the public page's limit (issue 10, finding 9)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.lib.ratelimit import WindowCounter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@given(keys=st.lists(st.sampled_from(["a", "b", "c"]), max_size=60))
def test_no_key_gets_more_than_the_limit_in_a_window(keys: list[str]) -> None:
    counter = WindowCounter(limit=5, window_seconds=600, clock=Clock())
    allowed: dict[str, int] = {}
    for key in keys:
        if counter.hit(key):
            allowed[key] = allowed.get(key, 0) + 1
    for key in set(keys):
        assert allowed.get(key, 0) == min(5, keys.count(key))


def test_a_new_window_starts_afresh() -> None:
    clock = Clock()
    counter = WindowCounter(limit=2, window_seconds=600, clock=clock)
    assert [counter.hit("a") for _ in range(3)] == [True, True, False]
    clock.now += 600
    assert counter.hit("a")


@given(n=st.integers(min_value=0, max_value=300))
def test_memory_is_bounded_and_a_flood_of_new_keys_shares_one_budget(n: int) -> None:
    counter = WindowCounter(limit=3, window_seconds=600, max_keys=50, clock=Clock())
    results = [counter.hit(f"10.0.{i // 256}.{i % 256}") for i in range(n)]
    assert len(counter) <= 51
    overflowed = max(0, n - 50)
    assert results.count(False) == max(0, overflowed - 3)
