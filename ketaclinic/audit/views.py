from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from ketaclinic.accounts.http import ClinicRequest
from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.selectors import AuditFilter, audit_events_for_clinic
from ketaclinic.audit.services import audit_record

CSV_COLUMNS = [
    "id",
    "event_time_utc",
    "event_type",
    "actor",
    "role",
    "object_type",
    "object_id",
    "patient_id",
    "reason",
    "changes",
    "request_id",
    "ip_address",
    "hash",
]


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    patient = forms.UUIDField(label="Patient id", required=False)
    event_type = forms.ChoiceField(choices=[("", "Any"), *EventType.choices], required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)  # noqa: S101  (narrowing for mypy)
        user_field.queryset = User.objects.filter(memberships__clinic_id=clinic_id).order_by(
            "username"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be on or after the start date.")
        return data


def _membership_for_audit(request: ClinicRequest) -> Membership:
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None or not membership.can(Perm.AUDIT_VIEW):
        raise PermissionDenied
    return membership


def _filters(form: AuditFilterForm, membership: Membership) -> AuditFilter:
    if not form.is_valid():
        return AuditFilter()
    tz = membership.clinic.tzinfo
    d = form.cleaned_data
    start = datetime.combine(d["start"], time.min, tz) if d.get("start") else None
    end = datetime.combine(d["end"] + timedelta(days=1), time.min, tz) if d.get("end") else None
    return AuditFilter(
        actor_id=d["user"].pk if d.get("user") else None,
        patient_id=d.get("patient"),
        event_type=d.get("event_type") or "",
        start=start,
        end=end,
    )


def audit_list(request: ClinicRequest) -> HttpResponse:
    membership = _membership_for_audit(request)
    form = AuditFilterForm(request.GET or None, clinic_id=membership.clinic_id)
    events = audit_events_for_clinic(
        clinic_id=membership.clinic_id, filters=_filters(form, membership)
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_export(request: ClinicRequest) -> StreamingHttpResponse:
    membership = _membership_for_audit(request)
    form = AuditFilterForm(request.GET or None, clinic_id=membership.clinic_id)
    filters = _filters(form, membership)
    with transaction.atomic():
        audit_record(
            event_type=EventType.AUDIT_EXPORTED,
            actor=membership,
            extra={"filters": {k: str(v) for k, v in vars(filters).items() if v}},
        )
    events = audit_events_for_clinic(clinic_id=membership.clinic_id, filters=filters)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.id,
                    e.event_time.isoformat(),
                    e.event_type,
                    e.actor_username or (e.actor.username if e.actor else ""),
                    e.role,
                    e.object_type,
                    e.object_id,
                    e.patient_id or "",
                    e.reason,
                    e.extra.get("changes", ""),
                    e.request_id,
                    e.ip_address or "",
                    e.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response
