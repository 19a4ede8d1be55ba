from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.accounts.http import ClinicRequest
from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.report import audit_report, parse_since
from ketaclinic.audit.selectors import AuditFilter, audit_events_for_clinic
from ketaclinic.audit.services import audit_record
from ketaclinic.lib import csvsafe

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


def _filters(form: AuditFilterForm, membership: Membership) -> AuditFilter | None:
    """The filter the form asks for; ``None`` when the form is invalid (never "no filter")."""
    if not form.is_bound:
        return AuditFilter()
    if not form.is_valid():
        return None
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


FILTER_FIELDS = ("user", "patient", "event_type", "start", "end")


def _refused(form: AuditFilterForm, unknown: list[str]) -> list[str]:
    """One message per refused field, naming it by its label."""
    messages = [f"Unknown filter {name!r}: not applied, so nothing is shown." for name in unknown]
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else name
        messages.append(f"{label}: {' '.join(str(e) for e in errors)}")
    return messages


def _refuse(request: ClinicRequest, form: AuditFilterForm, unknown: list[str]) -> HttpResponse:
    page = Paginator(AuditEvent.objects.none(), 50).get_page(1)
    context = {"form": form, "page": page, "query": "", "refused": _refused(form, unknown)}
    return render(request, "audit/list.html", context, status=400)


def _filter_data(request: ClinicRequest) -> tuple[dict[str, str] | None, list[str]]:
    """The filter fields of the query string (``None`` when none) and any unknown parameter."""
    data = {k: request.GET[k] for k in FILTER_FIELDS if k in request.GET}
    unknown = sorted(k for k in request.GET if k not in FILTER_FIELDS and k != "page")
    return (data or None), unknown


def _form_and_filters(
    request: ClinicRequest, membership: Membership
) -> tuple[AuditFilterForm, AuditFilter | None, list[str]]:
    data, unknown = _filter_data(request)
    form = AuditFilterForm(data, clinic_id=membership.clinic_id)
    filters = _filters(form, membership)
    return form, (None if unknown else filters), unknown


def audit_list(request: ClinicRequest) -> HttpResponse:
    membership = _membership_for_audit(request)
    form, filters, unknown = _form_and_filters(request, membership)
    if filters is None:
        return _refuse(request, form, unknown)
    events = audit_events_for_clinic(clinic_id=membership.clinic_id, filters=filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_export(request: ClinicRequest) -> HttpResponse | StreamingHttpResponse:
    membership = _membership_for_audit(request)
    form, filters, unknown = _form_and_filters(request, membership)
    if filters is None:  # an invalid filter exports nothing, and says which field was refused
        return _refuse(request, form, unknown)
    with transaction.atomic():
        audit_record(
            event_type=EventType.AUDIT_EXPORTED,
            actor=membership,
            extra={"filters": {k: str(v) for k, v in vars(filters).items() if v}},
        )
    events = audit_events_for_clinic(clinic_id=membership.clinic_id, filters=filters)
    writer = csvsafe.writer(_Echo())

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
                    e.extra.get("changes") or "",
                    e.request_id,
                    e.ip_address or "",
                    e.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


REPORT_WINDOWS = {"24h": "last 24 hours", "7d": "last 7 days", "30d": "last 30 days"}


def audit_report_page(request: ClinicRequest) -> HttpResponse:
    """The security report (``audit.report``) for the admin's own clinic."""
    membership = _membership_for_audit(request)
    since = request.GET.get("since", "24h")
    context: dict[str, Any]
    if since not in REPORT_WINDOWS:
        context = {
            "windows": REPORT_WINDOWS,
            "since": "",
            "refused": f"Period {since[:20]!r} is not offered: choose 24h, 7d or 30d.",
        }
        return render(request, "audit/report.html", context, status=400)
    now = timezone.now()
    report = audit_report(since=now - parse_since(since), until=now, clinic_id=membership.clinic_id)
    context = {"windows": REPORT_WINDOWS, "since": since, "report": report}
    return render(request, "audit/report.html", context)
