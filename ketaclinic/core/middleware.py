from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ketaclinic.accounts.http import client_ip
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
