"""Answer builders shared by the scale tests."""

from __future__ import annotations

from ketaclinic.scales import get_definition


def answers_for_total(code: str, total: int) -> list[int | None]:
    """Answers in item order that add up to ``total``: items filled from the first one."""
    definition = get_definition(code)
    answers: list[int | None] = [item.min for item in definition.items]
    remaining = total - sum(item.min for item in definition.items)
    for position, item in enumerate(definition.items):
        step = min(item.max - item.min, remaining)
        answers[position] = item.min + step
        remaining -= step
    assert remaining == 0, f"{code} cannot reach {total}"
    return answers


def qids_answers_for_total(total: int) -> list[int | None]:
    """QIDS-SR16 answers whose nine domain scores add up to ``total``: one item per domain."""
    answers: list[int | None] = [0] * 16
    remaining = total
    for first_item in (1, 5, 6, 10, 11, 12, 13, 14, 15):
        step = min(3, remaining)
        answers[first_item - 1] = step
        remaining -= step
    assert remaining == 0
    return answers
