from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm, Role
from ketaclinic.accounts.selectors import failed_checks_naming
from ketaclinic.alerts.selectors import open_alert_count
from ketaclinic.scales import home as scales_home
from ketaclinic.treatment import home as treatment_home


def home(request: ClinicRequest) -> HttpResponse:
    """What this person has to do today. Later capabilities add their panels per role."""
    membership = membership_of(request)
    role = Role(membership.role)
    panels: list[dict[str, str]] = []
    if membership.can(Perm.ALERT_VIEW):
        count = open_alert_count(membership=membership)
        panels.append(
            {
                "title": f"Open alerts: {count}",
                "text": "Safety signals waiting for a prescriber's review."
                if count
                else "No open safety alerts.",
                "url": "alerts:list",
            }
        )
    if membership.can(Perm.PATIENT_VIEW):
        panels.append(
            {
                "title": "Patients",
                "text": "Find a patient, open a chart, record a weight or medication.",
                "url": "patients:list",
            }
        )
    if membership.can(Perm.PATIENT_REGISTER):
        panels.append(
            {"title": "Register a patient", "text": "Add a new patient.", "url": "patients:create"}
        )
    if membership.can(Perm.AUDIT_VIEW):
        panels.append(
            {
                "title": "Audit trail",
                "text": "Who did what and when; export for an inspection.",
                "url": "audit:list",
            }
        )
    if membership.can(Perm.RESEARCH_VIEW):
        panels.append(
            {
                "title": "Cohort analytics",
                "text": "Response, remission and adverse events across courses (no patient names).",
                "url": "research:cohort",
            }
        )
        panels.append(
            {
                "title": "Exports",
                "text": "De-identified data for research (CSV, Parquet, FHIR): start, follow, download.",
                "url": "research:exports",
            }
        )
    if membership.can(Perm.CLINIC_MANAGE):
        panels.append(
            {
                "title": "Staff",
                "text": "Add staff, change roles, reset a lost second factor; clinic settings.",
                "url": "accounts:staff",
            }
        )
    for provider in (treatment_home, scales_home):
        panels.extend(provider.home_panels(membership))
    failed_as_me = failed_checks_naming(membership.user)
    context = {"role": role, "panels": panels, "failed_as_me": failed_as_me}
    return render(request, "core/home.html", context)
