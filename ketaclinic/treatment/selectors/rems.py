"""Reads of REMS Patient Monitoring Forms (esketamine)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from ketaclinic.accounts.models import Membership
from ketaclinic.treatment.models import RemsMonitoringForm, TreatmentSession
from ketaclinic.treatment.selectors.access import can_run_sessions


def rems_forms_due(*, membership: Membership) -> QuerySet[RemsMonitoringForm]:
    if not can_run_sessions(membership):
        raise PermissionDenied
    return (
        RemsMonitoringForm.objects.filter(clinic_id=membership.clinic_id)
        .select_related("session", "session__patient", "submitted_by")
        .order_by("submitted_at", "due_date")
    )


def rems_form_for_session(session: TreatmentSession) -> RemsMonitoringForm | None:
    """The session's Patient Monitoring Form, if it has one (the caller fetched the session
    through ``get_session_for_user``)."""
    return RemsMonitoringForm.objects.filter(session=session).first()
