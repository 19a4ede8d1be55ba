"""The main navigation, one table read against the permission table (``accounts/permissions.py``).

Each entry names the page (a URL name) and the permissions its view checks, so that a link
appears exactly when its page opens for the viewer's role. ``any_of``: at least one of these;
``all_of``: every one of these (both may be given). An entry with neither is open to every
signed-in member. ``core/tests/test_navigation.py`` requests every page for every role and fails
when the nav and the views disagree, in either direction.

Where a view's check lives (keep the two in step when either changes):

- Patients: ``patients.selectors.patient_search`` (PATIENT_VIEW)
- Alerts: ``alerts.selectors.alerts_for_clinic`` (ALERT_VIEW)
- Chair board, REMS forms: ``treatment.selectors.access.can_run_sessions``
- Protocols: ``treatment.selectors.access.can_read_protocols``
- Closures: ``treatment.selectors.access.can_manage_closures``
- Exposure: ``treatment.views.exposure.EXPOSURE_PERMS``
- Outcomes: ``scales.views.outcomes``
- Stock: ``inventory.selectors.can_view_stock``
- Audit: ``audit.views._membership_for_audit``; Staff, Licensed text: CLINIC_MANAGE
- Cohort analytics: ``research.views.cohort_page`` (RESEARCH_VIEW)
- Exports: ``api.exports.recent_exports`` (RESEARCH_VIEW)
- Safety: ``surveillance.views.safety`` (ALERT_VIEW); its settings: CLINIC_MANAGE
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ketaclinic.accounts.permissions import Perm

_RUNS_SESSIONS = (Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    any_of: tuple[Perm, ...] = ()
    all_of: tuple[Perm, ...] = ()

    def allows(self, perms: Iterable[Perm]) -> bool:
        held = frozenset(perms)
        if self.any_of and not held.intersection(self.any_of):
            return False
        return all(p in held for p in self.all_of)


NAV: tuple[NavItem, ...] = (
    NavItem("Today", "home"),
    NavItem("Patients", "patients:list", any_of=(Perm.PATIENT_VIEW,)),
    NavItem("Alerts", "alerts:list", any_of=(Perm.ALERT_VIEW,)),
    NavItem("Safety", "surveillance:safety", any_of=(Perm.ALERT_VIEW,)),
    NavItem("Chair board", "treatment:board", any_of=_RUNS_SESSIONS),
    NavItem("REMS forms", "treatment:rems", any_of=_RUNS_SESSIONS),
    NavItem("Outcomes", "scales:outcomes", all_of=(Perm.PATIENT_VIEW, Perm.ALERT_VIEW)),
    NavItem("Stock", "inventory:stock", any_of=(Perm.STOCK_VIEW,)),
    NavItem("Cohort analytics", "research:cohort", any_of=(Perm.RESEARCH_VIEW,)),
    NavItem("Exports", "research:exports", any_of=(Perm.RESEARCH_VIEW,)),
    NavItem(
        "Protocols",
        "treatment:protocols",
        any_of=(*_RUNS_SESSIONS, Perm.PROTOCOL_MANAGE),
    ),
    NavItem(
        "Exposure",
        "pharmacology:index",
        any_of=(*_RUNS_SESSIONS, Perm.PROTOCOL_MANAGE),
    ),
    NavItem("Closures", "treatment:closures", any_of=(Perm.SCHEDULE_MANAGE, Perm.PROTOCOL_MANAGE)),
    NavItem("Audit", "audit:list", any_of=(Perm.AUDIT_VIEW,)),
    NavItem("Staff", "accounts:staff", any_of=(Perm.CLINIC_MANAGE,)),
    NavItem("Licensed text", "scales:text_load", any_of=(Perm.CLINIC_MANAGE,)),
)

# Pages without parameters that are not in the nav, each reached from the page named beside it
# (a form, an export, a sub-list). The navigation test checks that a role that may open one of
# these also has its parent in the nav ("home" for the account pages, reached from the account
# menu beside the nav).
SUBPAGES: dict[str, str] = {
    "patients:create": "patients:list",
    "treatment:board_rows": "treatment:board",
    "treatment:follow_ups": "treatment:board",
    "research:cohort_refresh": "research:cohort",  # the "Refresh now" button (POST)
    "research:export_cancel": "research:exports",  # "Cancel this export" (POST)
    "treatment:protocol_copy": "treatment:protocols",
    "treatment:protocol_create": "treatment:protocols",
    "inventory:receive": "inventory:stock",
    "inventory:entries": "inventory:stock",
    "inventory:log": "inventory:stock",
    "inventory:log_csv": "inventory:stock",
    "inventory:inventories": "inventory:stock",
    "inventory:loss_reports": "inventory:stock",
    "inventory:setup": "inventory:stock",
    "inventory:product_new": "inventory:stock",
    "inventory:location_new": "inventory:stock",
    "scales:outcomes_export": "scales:outcomes",
    "audit:report": "audit:list",
    "ops:jobs": "audit:list",
    "screening:settings": "accounts:staff",
    "screening:rems_certification": "accounts:staff",
    "audit:export": "audit:list",
    "accounts:staff_add": "accounts:staff",
    "accounts:clinic_settings": "accounts:staff",
    "accounts:me": "home",
    "api_tokens:tokens": "home",
    "surveillance:settings": "accounts:staff",
    "research:export_rows": "research:exports",
    "research:export_file": "research:exports",
    "accounts:password_change": "home",
    "accounts:sessions_end": "home",
}


def nav_for(perms: Iterable[Perm]) -> list[NavItem]:
    """The entries a member holding ``perms`` sees, in the table's order."""
    held = frozenset(perms)
    return [item for item in NAV if item.allows(held)]
