"""This app's panels on the home page ("what this person has to do today")."""

from __future__ import annotations

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import selectors


def home_panels(membership: Membership) -> list[dict[str, str]]:
    panels: list[dict[str, str]] = []
    if membership.can(Perm.TREATMENT_ADMINISTER) or membership.can(Perm.TREATMENT_PLAN):
        rows = selectors.board(membership=membership)
        open_rows = [r for r in rows if r.phase not in ("done", "missed", "cancelled")]
        overdue = sum(1 for r in rows if r.state == "overdue")
        panels.append(
            {
                "title": f"Today's sessions: {len(rows)}",
                "text": f"{len(open_rows)} still open"
                + (f", {overdue} with an overdue measurement" if overdue else "")
                + ". Open the chair board.",
                "url": "treatment:board",
            }
        )
        forms_open = selectors.rems_forms_due(membership=membership).filter(
            submitted_at__isnull=True
        )
        panels.append(
            {
                "title": f"REMS forms due: {forms_open.count()}",
                "text": "Patient Monitoring Forms to file within 7 days of each session.",
                "url": "treatment:rems",
            }
        )
    if membership.can(Perm.TREATMENT_PLAN):
        waiting = selectors.decisions_waiting(membership=membership)
        panels.append(
            {
                "title": f"Decisions waiting: {len(waiting)}",
                "text": "Sessions whose dosing waits for a prescriber (blood pressure, "
                "suicidality review)."
                if waiting
                else "No session waits for a prescriber's decision.",
                "url": "treatment:board",
            }
        )
    if membership.can(Perm.PROTOCOL_MANAGE):
        panels.append(
            {
                "title": "Treatment protocols",
                "text": "Copy a shipped protocol, adjust thresholds, make a new version.",
                "url": "treatment:protocols",
            }
        )
    return panels
