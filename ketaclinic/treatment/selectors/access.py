"""Who may read what, and the per-object fetches: every ``get_*_for_user`` returns only the
caller's active clinic's objects (another clinic's object is a 404) and checks the role (403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.treatment.models import (
    ClinicClosure,
    Course,
    Protocol,
    ProtocolVersion,
    RemsMonitoringForm,
    TreatmentSession,
)

# Who may read treatment records: everyone who runs or plans sessions, and the clinic admin for
# protocols. Patient-level pages need PATIENT_VIEW as well.
_READ_PERMS = (Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN, Perm.PROTOCOL_MANAGE)
_CLOSURE_PERMS = (Perm.SCHEDULE_MANAGE, Perm.PROTOCOL_MANAGE)


def _need(membership: Membership | None) -> Membership:
    if membership is None:
        raise Http404
    return membership


def can_read_treatment(membership: Membership) -> bool:
    return any(membership.can(p) for p in _READ_PERMS)


def can_read_protocols(membership: Membership) -> bool:
    return can_read_treatment(membership)


def can_run_sessions(membership: Membership) -> bool:
    """Who sees the chair board, the session pages and the REMS forms."""
    return membership.can(Perm.TREATMENT_ADMINISTER) or membership.can(Perm.TREATMENT_PLAN)


def can_manage_closures(membership: Membership) -> bool:
    return any(membership.can(p) for p in _CLOSURE_PERMS)


def get_protocol_for_user(*, membership: Membership | None, pk: int) -> Protocol:
    m = _need(membership)
    protocol = Protocol.objects.filter(pk=pk, clinic_id=m.clinic_id).first()
    if protocol is None:
        raise Http404
    if not can_read_protocols(m):
        raise PermissionDenied
    return protocol


def get_protocol_version_for_user(*, membership: Membership | None, pk: int) -> ProtocolVersion:
    """A protocol version of the caller's clinic (404 otherwise). ``.protocol`` is the pure
    :class:`ketaclinic.treatment.domain.protocol.Protocol` parsed from the stored JSON. Used by the
    exposure pages (pharmacology)."""
    m = _need(membership)
    version = (
        ProtocolVersion.objects.select_related("family")
        .filter(pk=pk, family__clinic_id=m.clinic_id)
        .first()
    )
    if version is None:
        raise Http404
    if not can_read_protocols(m):
        raise PermissionDenied
    return version


def get_course_for_user(*, membership: Membership | None, pk: int) -> Course:
    m = _need(membership)
    course = (
        Course.objects.select_related("patient", "protocol_version", "enrolled_by")
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if course is None:
        raise Http404
    if not (can_read_treatment(m) and m.can(Perm.PATIENT_VIEW)):
        raise PermissionDenied
    note_read(course, course.patient_id)
    return course


def get_session_for_user(
    *, membership: Membership | None, pk: int, perm: Perm | None = None
) -> TreatmentSession:
    m = _need(membership)
    session = (
        TreatmentSession.objects.select_related(
            "patient", "course", "protocol_version", "clinic", "signature"
        )
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if session is None:
        raise Http404
    if perm is not None:
        if not m.can(perm):
            raise PermissionDenied
    elif not can_run_sessions(m):
        raise PermissionDenied
    note_read(session, session.patient_id)
    return session


def get_rems_form_for_user(*, membership: Membership | None, pk: int) -> RemsMonitoringForm:
    m = _need(membership)
    form = (
        RemsMonitoringForm.objects.select_related("session", "session__patient")
        .filter(pk=pk, clinic_id=m.clinic_id)
        .first()
    )
    if form is None:
        raise Http404
    if not can_run_sessions(m):
        raise PermissionDenied
    note_read(form, form.session.patient_id)
    return form


def get_closure_for_user(*, membership: Membership | None, pk: int) -> ClinicClosure:
    m = _need(membership)
    closure = ClinicClosure.objects.filter(pk=pk, clinic_id=m.clinic_id).first()
    if closure is None:
        raise Http404
    if not can_manage_closures(m):
        raise PermissionDenied
    return closure
