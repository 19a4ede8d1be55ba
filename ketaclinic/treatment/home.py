"""This app's panels on the home page ("what this person has to do today")."""

from __future__ import annotations

from ketaclinic.accounts.models import Membership


def home_panels(membership: Membership) -> list[dict[str, str]]:
    return []
