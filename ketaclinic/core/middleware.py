from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from ketaclinic.accounts.http import client_ip
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.lib import context

_REQUEST_ID_CHARS = frozenset("0123456789abcdefABCDEF-")


class RequestContextMiddleware:
    """Give every request an id (echoed in ``X-Request-ID``) and bind it, with the client IP, for audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        if incoming and len(incoming) <= 64 and set(incoming) <= _REQUEST_ID_CHARS:
            request_id = incoming
        else:
            request_id = uuid.uuid4().hex
        ip = client_ip(request)
        with context.bound(context.RequestContext(request_id=request_id, ip_address=ip)):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PrivateCacheMiddleware:
    """Pages for signed-in staff hold patient data: never let a browser or proxy cache them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


# The event a read writes, by the kind of the first record the view fetched.
_READ_EVENTS = {
    "patients.patient": EventType.PATIENT_VIEWED,
    "scales.scaleresponse": EventType.SCALE_RESPONSE_VIEWED,
    "treatment.treatmentsession": EventType.SESSION_VIEWED,
    "treatment.course": EventType.COURSE_VIEWED,
    "treatment.remsmonitoringform": EventType.REMS_FORM_VIEWED,
    "alerts.alert": EventType.ALERTS_VIEWED,
}
MAX_READ_IDS = 200  # a page never shows more rows; the cap keeps one event small


class ReadAuditMiddleware:
    """Every response that shows patient data writes one audit event (OWASP ASVS 8.3.5; 45 CFR
    164.312(b); ONC 170.315(d)(2)): who, when, from where, the page, and the ids of the records it
    showed, never their content. The records are those the per-object selectors returned
    (``lib.context.note_read``) and the rows list views noted; a response that is not a 200 (a
    redirect, a 403, a 404) showed nothing and writes nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reads = context.current().reads
        membership = getattr(request, "membership", None)
        if reads and response.status_code == 200 and membership is not None:
            self._record(request, membership, reads)
        reads.clear()
        if response.status_code == 403:
            self._denied(request, membership)
        return response

    @staticmethod
    def _denied(request: HttpRequest, membership: Any) -> None:
        """A refused access by a signed-in user: for the audit report (issue 15). Ids only."""
        user = getattr(request, "user", None)
        if membership is None and (user is None or not user.is_authenticated):
            return  # anonymous refusals (CSRF before sign-in) name nobody
        match = getattr(request, "resolver_match", None)
        extra = {"view": match.view_name if match else "", "method": request.method}
        with transaction.atomic():
            if membership is not None:
                audit_record(event_type=EventType.ACCESS_DENIED, actor=membership, extra=extra)
            elif user is not None:
                audit_record(
                    event_type=EventType.ACCESS_DENIED,
                    user_id=user.pk,
                    username=user.get_username(),
                    extra=extra,
                )

    @staticmethod
    def _record(request: HttpRequest, membership: Any, reads: list[context.Read]) -> None:
        first = reads[0].obj
        records = list(dict.fromkeys((r.obj._meta.label_lower, str(r.obj.pk)) for r in reads))
        patients = sorted({str(r.patient_id) for r in reads if r.patient_id is not None})
        match = getattr(request, "resolver_match", None)
        extra: dict[str, Any] = {
            "view": match.view_name if match else "",
            "method": request.method,
            "records": [{"type": t, "id": i} for t, i in records[:MAX_READ_IDS]],
            "patient_ids": patients[:MAX_READ_IDS],
        }
        if len(records) > MAX_READ_IDS:
            extra["records_omitted"] = len(records) - MAX_READ_IDS
        event_type = _READ_EVENTS.get(first._meta.label_lower, EventType.RECORDS_VIEWED)
        if len(patients) > 1 and event_type == EventType.PATIENT_VIEWED:
            event_type = EventType.RECORDS_VIEWED  # a list of patients, not one chart
        with transaction.atomic():
            audit_record(
                event_type=event_type,
                actor=membership,
                obj=first if len(records) == 1 else None,
                patient_id=reads[0].patient_id if len(patients) == 1 else None,
                extra=extra,
            )


class ClinicTimeZoneMiddleware:
    """Show times in the acting clinic's zone: activate ``membership.clinic.tzinfo`` for the
    request (after ``ActiveClinicMiddleware``), so that templates (``|date``, ``|at``) and forms
    render local times; the database stays UTC. Requests without a clinic keep UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import timezone

        membership = getattr(request, "membership", None)
        if membership is None:
            return self.get_response(request)
        timezone.activate(membership.clinic.tzinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
