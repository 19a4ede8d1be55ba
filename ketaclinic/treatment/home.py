"""This app's panels on the home page ("what this person has to do today")."""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.treatment import selectors
from ketaclinic.treatment.selectors.follow_up import follow_ups_open


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
        due = follow_ups_open(membership=membership)
        if due:
            overdue_ratings = sum(1 for r in due if r.item.status == "overdue")
            panels.append(
                {
                    "title": f"Follow-up ratings due: {len(due)}",
                    "text": (f"{overdue_ratings} overdue. " if overdue_ratings else "")
                    + "Scales the protocol asks for some days after a dose (OCD: the Y-BOCS "
                    "at one week).",
                    "url": "treatment:follow_ups",
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
    if selectors.can_manage_closures(membership):
        today = timezone.now().astimezone(membership.clinic.tzinfo).date()
        upcoming = [
            c
            for c in selectors.closures_for_clinic(membership=membership)
            if c.date >= today and not c.cancelled
        ]
        to_move = sum(
            len(v)
            for v in selectors.sessions_on_closures(
                membership=membership, closures=upcoming
            ).values()
        )
        panels.append(
            {
                "title": f"Clinic closures: {len(upcoming)} ahead",
                "text": (
                    f"{to_move} scheduled session(s) fall on a closed day and need moving."
                    if to_move
                    else "Add or cancel the days the clinic is closed."
                ),
                "url": "treatment:closures",
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
