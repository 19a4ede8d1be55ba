"""The NinjaAPI object: bearer-token authentication, one JSON error shape (``{"message": ...}``,
plus ``errors`` by field name on 422) and the routers of ``routers/``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from ketaclinic.accounts.models import Membership
from ketaclinic.api import tokens
from ketaclinic.api.routers import exports, patients, sessions


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kc_...``. Sets ``request.membership`` as the web middleware does, so
    the read-audit middleware records what the response showed."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        membership = tokens.authenticate(token)
        if membership is not None:
            request.membership = membership  # type: ignore[attr-defined]  # as ActiveClinicMiddleware
            request.user = membership.user
        return membership


api = NinjaAPI(
    title="ketaclinic API",
    version="1",
    description=(
        "Patients (read), rating-scale responses (read and record), treatment sessions (read) "
        "and de-identified exports, with the roles and clinic of the token's membership."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # the interactive docs page loads its script from a CDN; the document is enough
    openapi_url="/openapi.json",
)


def _fields(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"message": "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"message": "Your role in this clinic may not do this."}, status=403
    )


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request,
        {"message": "Send a valid API token: Authorization: Bearer <token>."},
        status=401,
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _fields(exc)
    summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return api.create_response(request, {"message": summary, "errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "code") -> "code"; ("query", "limit") -> "limit"
        loc = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "")))
    summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return api.create_response(request, {"message": summary, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"message": str(exc)}, status=exc.status_code)


api.add_router("/patients", patients.router)
api.add_router("/sessions", sessions.router)
api.add_router("/exports", exports.router)
