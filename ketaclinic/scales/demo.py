"""This app's part of the demo clinic (called by `ketaclinic demo` after the foundation step)."""

from __future__ import annotations

from collections.abc import Callable


def seed(out: Callable[[str], None]) -> None:
    return None
