"""Follow-up ratings of a patient: the scales their protocols ask for some days after each dose
(``domain/follow_up.py``; OCD: the Y-BOCS one week after the infusion)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.patients.models import Patient
from ketaclinic.scales.selectors import final_responses_since
from ketaclinic.treatment.domain import follow_up
from ketaclinic.treatment.models import Course, ProtocolVersion, TreatmentSession
from ketaclinic.treatment.selectors.access import can_read_treatment, can_run_sessions

#: The chart lists the newest items; older ones are in the course's sessions.
CHART_ITEMS = 10


@dataclass(frozen=True)
class FollowUpRow:
    item: follow_up.FollowUpItem
    scale_name: str
    session: TreatmentSession


def follow_ups_for_patient(
    *,
    membership: Membership,
    patient: Patient,
    courses: Iterable[Course] | None = None,
    now: dt.datetime | None = None,
) -> list[FollowUpRow]:
    """The patient's follow-up ratings, newest dose first (at most ``CHART_ITEMS``); empty for
    another clinic's patient or a role that does not read treatment. ``courses``: the chart's
    courses with their sessions and versions prefetched (no query of its own then; one for the
    ratings when a protocol asks for follow-ups)."""
    from ketaclinic.scales import get_definition

    if patient.clinic_id != membership.clinic_id or not can_read_treatment(membership):
        return []
    found: Iterable[TreatmentSession]
    if courses is None:
        found = TreatmentSession.objects.filter(
            patient=patient, clinic_id=membership.clinic_id, dose_started_at__isnull=False
        ).select_related("protocol_version")
    else:
        found = [s for c in courses for s in c.sessions.all() if s.dose_started_at is not None]
    sessions = {s.pk: s for s in found}
    doses = [
        follow_up.Dose(
            session_id=s.pk,
            number=s.number,
            dosed_at=s.dose_started_at,
            rules=s.protocol_version.protocol.follow_up_ratings,
        )
        for s in sessions.values()
        if s.dose_started_at is not None
    ]
    codes = {r.scale for d in doses for r in d.rules}
    if not codes:
        return []
    responses = final_responses_since(
        patient_ids={patient.pk}, codes=codes, since=min(d.dosed_at for d in doses)
    )
    ratings = [
        follow_up.Rating(scale=r.code, response_id=r.pk, effective_at=r.effective_at)
        for r in responses
    ]
    tz = membership.clinic.tzinfo
    today = (now or timezone.now()).astimezone(tz).date()
    items = follow_up.follow_up_items(doses, ratings, today=today, tz=tz)
    return [
        FollowUpRow(
            item=i, scale_name=get_definition(i.scale).name, session=sessions[i.dose.session_id]
        )
        for i in reversed(items[-CHART_ITEMS:])
    ]


def follow_ups_open(*, membership: Membership, now: dt.datetime | None = None) -> list[FollowUpRow]:
    """The clinic's follow-up ratings due or overdue today, most overdue first: the worklist
    behind the home panel. Four queries whatever the clinic's size: the protocol versions with
    follow-ups, their recent doses, those patients' other doses (the next dose ends an
    interval), and the ratings."""
    from ketaclinic.scales import get_definition

    if not can_run_sessions(membership):
        return []
    now = now or timezone.now()
    # A protocol without follow-ups stores no "follow_up_ratings" key (protocol_json): only the
    # versions that have one are decoded.
    rules = {
        v.pk: v.protocol.follow_up_ratings
        for v in ProtocolVersion.objects.filter(
            family__clinic_id=membership.clinic_id, data__has_key="follow_up_ratings"
        )
    }
    with_rules = [pk for pk, r in rules.items() if r]
    if not with_rules:
        return []
    horizon = now - dt.timedelta(days=follow_up.MAX_DAYS_AFTER_DOSE + follow_up.MAX_WINDOW_DAYS + 1)
    patient_ids = set(
        TreatmentSession.objects.filter(
            clinic_id=membership.clinic_id,
            protocol_version_id__in=with_rules,
            dose_started_at__gte=horizon,
        ).values_list("patient_id", flat=True)
    )
    if not patient_ids:
        return []
    sessions = {
        s.pk: s
        for s in TreatmentSession.objects.filter(
            clinic_id=membership.clinic_id,
            patient_id__in=patient_ids,
            dose_started_at__gte=horizon,
        ).select_related("patient")
    }
    doses: dict[object, list[follow_up.Dose]] = {}
    for s in sessions.values():
        if s.dose_started_at is not None:
            doses.setdefault(s.patient_id, []).append(
                follow_up.Dose(
                    session_id=s.pk,
                    number=s.number,
                    dosed_at=s.dose_started_at,
                    rules=rules.get(s.protocol_version_id, ()),
                )
            )
    codes = {r.scale for pk in with_rules for r in rules[pk]}
    ratings: dict[object, list[follow_up.Rating]] = {}
    for r in final_responses_since(patient_ids=patient_ids, codes=codes, since=horizon):
        ratings.setdefault(r.patient_id, []).append(
            follow_up.Rating(scale=r.code, response_id=r.pk, effective_at=r.effective_at)
        )
    tz = membership.clinic.tzinfo
    today = now.astimezone(tz).date()
    rows = [
        FollowUpRow(
            item=i, scale_name=get_definition(i.scale).name, session=sessions[i.dose.session_id]
        )
        for pid, patient_doses in doses.items()
        for i in follow_up.follow_up_items(patient_doses, ratings.get(pid, ()), today=today, tz=tz)
        if i.is_open
    ]
    return sorted(rows, key=lambda r: (r.item.due_on, r.session.patient.family_name))
