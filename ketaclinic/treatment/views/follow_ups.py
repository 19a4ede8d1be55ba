"""The clinic's follow-up ratings due today (OCD: the Y-BOCS one week after the infusion)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.lib.context import note_read
from ketaclinic.treatment import selectors
from ketaclinic.treatment.selectors.follow_up import follow_ups_open


def follow_ups(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    if not selectors.can_run_sessions(m):
        raise PermissionDenied
    rows = follow_ups_open(membership=m)
    for row in rows:  # each row names its patient: an audited read (ids only)
        note_read(row.session, row.session.patient_id)
    context = {"rows": rows, "can_rate": m.can(Perm.SCALE_RECORD)}
    return render(request, "treatment/follow_ups.html", context)
