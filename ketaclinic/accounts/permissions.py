"""Roles and what each may do. Pure data: the single place to read who may do what.

Deny by default: a capability not listed for a role is refused.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PRESCRIBER = "prescriber"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    INVENTORY_MANAGER = "inventory_manager"
    RESEARCHER = "researcher"
    CLINIC_ADMIN = "clinic_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRESCRIBER: "Prescriber",
    Role.NURSE: "Nurse",
    Role.FRONT_DESK: "Front desk",
    Role.INVENTORY_MANAGER: "Inventory manager",
    Role.RESEARCHER: "Researcher",
    Role.CLINIC_ADMIN: "Clinic admin",
}


class Perm(StrEnum):
    PATIENT_VIEW = "patient.view"  # identified chart: demographics, history
    PATIENT_REGISTER = "patient.register"  # create and edit demographics and contacts
    PATIENT_CLINICAL_EDIT = (
        "patient.clinical_edit"  # diagnoses, allergies, medications, measurements
    )
    AUDIT_VIEW = "audit.view"
    CLINIC_MANAGE = "clinic.manage"
    ALERT_VIEW = "alert.view"
    ALERT_ACKNOWLEDGE = "alert.acknowledge"  # a prescriber reviews and acknowledges safety alerts
    SCALE_RECORD = "scale.record"  # enter rating scales, send self-report links
    TREATMENT_PLAN = "treatment.plan"  # enrol in a course, decide, override, sign (prescriber)
    TREATMENT_ADMINISTER = "treatment.administer"  # run the session at the chair
    PROTOCOL_MANAGE = "protocol.manage"
    SCHEDULE_MANAGE = "schedule.manage"  # move, miss or cancel a session; check in
    SCREENING_RECORD = "screening.record"  # intake screening (overrides need TREATMENT_PLAN)
    STOCK_VIEW = "stock.view"  # the controlled-substance ledger, counts and logs
    STOCK_HANDLE = "stock.handle"  # receive, draw, waste, count; witness another's entry
    STOCK_MANAGE = "stock.manage"  # approve adjustments, reverse, destroy, loss reports
    RESEARCH_VIEW = "research.view"  # de-identified exports and cohort analytics (issue 13)


_CLINICAL_STAFF = {
    Perm.PATIENT_VIEW,
    Perm.PATIENT_REGISTER,
    Perm.PATIENT_CLINICAL_EDIT,
    Perm.ALERT_VIEW,
    Perm.SCALE_RECORD,
    Perm.TREATMENT_ADMINISTER,
    Perm.SCHEDULE_MANAGE,
    Perm.SCREENING_RECORD,
}

_STOCK_HANDLERS = {Perm.STOCK_VIEW, Perm.STOCK_HANDLE}

ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.PRESCRIBER: frozenset(
        _CLINICAL_STAFF | _STOCK_HANDLERS | {Perm.ALERT_ACKNOWLEDGE, Perm.TREATMENT_PLAN}
    ),
    Role.NURSE: frozenset(_CLINICAL_STAFF | _STOCK_HANDLERS),
    Role.FRONT_DESK: frozenset({Perm.PATIENT_VIEW, Perm.PATIENT_REGISTER, Perm.SCHEDULE_MANAGE}),
    # The controlled-substance record keeper: the ledger, not charts.
    Role.INVENTORY_MANAGER: frozenset(_STOCK_HANDLERS | {Perm.STOCK_MANAGE}),
    # Researchers see de-identified data only (the research issue), never an identified chart.
    Role.RESEARCHER: frozenset({Perm.RESEARCH_VIEW}),
    Role.CLINIC_ADMIN: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_REGISTER,
            Perm.AUDIT_VIEW,
            Perm.CLINIC_MANAGE,
            Perm.ALERT_VIEW,
            Perm.PROTOCOL_MANAGE,
            Perm.SCHEDULE_MANAGE,
            Perm.RESEARCH_VIEW,
        }
    ),
}


def role_can(role: str, perm: Perm) -> bool:
    try:
        return perm in ROLE_PERMS[Role(role)]
    except ValueError:
        return False


def roles_with(perm: Perm) -> list[str]:
    return [str(role) for role, perms in ROLE_PERMS.items() if perm in perms]
