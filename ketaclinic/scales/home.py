"""This app's panels on the home page ("what this person has to do today")."""

from __future__ import annotations

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.selectors import alerts_for_clinic
from ketaclinic.scales.selectors import pending_links
from ketaclinic.scales.services import SOURCE_TYPE


def home_panels(membership: Membership) -> list[dict[str, str]]:
    panels: list[dict[str, str]] = []
    if membership.can(Perm.ALERT_VIEW):
        # Safety signals from rating scales, one panel each (newest five), until acknowledged.
        tz = membership.clinic.tzinfo  # times in the clinic's zone, labelled (issue 14)
        for alert in alerts_for_clinic(membership=membership).filter(source_type=SOURCE_TYPE)[:5]:
            who = alert.patient.full_name if alert.patient else ""
            panels.append(
                {
                    "title": f"{alert.get_severity_display()}: {alert.title}",
                    "text": f"{who}, raised {alert.raised_at.astimezone(tz):%Y-%m-%d %H:%M %Z}. "
                    "Open the alerts inbox to review and acknowledge.",
                    "url": "alerts:list",
                }
            )
    if membership.can(Perm.SCALE_RECORD):
        waiting = pending_links(membership=membership).count()
        panels.append(
            {
                "title": f"Self-report links awaiting answers: {waiting}",
                "text": "Questionnaires sent to patients and not yet answered (valid 72 hours)."
                if waiting
                else "No self-report links waiting. Send one from a patient's chart.",
                "url": "patients:list",
            }
        )
    if membership.can(Perm.PATIENT_VIEW) and membership.can(Perm.ALERT_VIEW):
        panels.append(
            {
                "title": "Outcomes",
                "text": "Response and remission rates at sessions 2, 4, 6 and weeks 1-8.",
                "url": "scales:outcomes",
            }
        )
    if membership.can(Perm.CLINIC_MANAGE):
        panels.append(
            {
                "title": "Licensed scale text",
                "text": "Load the wording of licensed scales (MADRS, C-SSRS ...) your clinic holds.",
                "url": "scales:text_load",
            }
        )
    return panels
