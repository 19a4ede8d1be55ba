"""The request as our views see it, and the two helpers every app's views share.

``ClinicRequest`` declares what the middleware attaches (as healthchecks declares
``AuthenticatedHttpRequest`` in ``hc/accounts/http.py``): ``membership`` (who acts, where, in
which role; set by ``ActiveClinicMiddleware``), ``memberships`` (all of the user's clinics) and
``htmx`` (django-htmx). Views take a ``ClinicRequest`` so that mypy checks these attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from ketaclinic.lib import clientip

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from ketaclinic.accounts.models import Membership

T = TypeVar("T")


class ClinicRequest(HttpRequest):
    """An ``HttpRequest`` after our middleware: never instantiated, only a type."""

    membership: Membership | None
    memberships: list[Membership]
    htmx: HtmxDetails


def membership_of(request: HttpRequest) -> Membership:
    """The membership the request acts as. ``ActiveClinicMiddleware`` answers 403 before a view
    is reached when there is none; this guards views reached some other way (tests, exempt
    views) with the same 403."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        raise PermissionDenied
    return membership


def client_ip(request: HttpRequest) -> str | None:
    """The client's address under the one trusted-proxy rule (``lib.clientip``): the proxy header
    ``KETACLINIC_CLIENT_IP_HEADER`` counts only on requests whose peer is one of
    ``KETACLINIC_TRUSTED_PROXIES``. Used by the audit context, every limiter and django-axes
    (``AXES_CLIENT_IP_CALLABLE``)."""
    header: str = settings.TRUSTED_PROXY_HEADER
    forwarded = None
    if header:
        meta_key = header.upper().replace("-", "_")  # "X-Forwarded-For" or "HTTP_X_FORWARDED_FOR"
        meta_key = meta_key if meta_key.startswith("HTTP_") else "HTTP_" + meta_key
        forwarded = str(request.META.get(meta_key, "")) or None
    return clientip.client_ip(
        request.META.get("REMOTE_ADDR"), forwarded, settings.TRUSTED_PROXY_NETWORKS
    )


# Service field names that a form shows under another name.
_FIELD_ALIASES = {"weight": "value", "height": "value", "unit": "unit"}


def run_service(form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """Call a service; put its ``ValidationError`` next to the matching form fields (or on top
    of the form when it names no field the form has). The one way views turn a service's
    refusal into form errors; returns None when the service refused."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = _FIELD_ALIASES.get(field, field)
                form.add_error(target if target in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None
