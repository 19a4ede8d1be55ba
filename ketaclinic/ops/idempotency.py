"""One-time form tokens: a double-submitted create form creates once (issue 10, finding 10).

``@once_per_form`` on a POST view inserts a ``FormToken`` row, unique per submission, and runs the
view in the same transaction. The submission is identified by, in order:

1. the form's hidden ``form_token`` field (``{% load form_token %}{% form_token %}`` in the form:
   a fresh random value each time the form is rendered);
2. an ``Idempotency-Key`` header (API clients, htmx ``hx-headers``);
3. otherwise the form's content (every field but the CSRF token) from the same user at the same
   address within ``FINGERPRINT_SECONDS``: a double click or a browser resend, not a second
   reading taken later.

The token counts as used only when the view succeeded: a redirect (3xx) or a 201 (an htmx create).
Any other answer (the form again with errors, a 403, an exception) gives the token back in the
same transaction, so the corrected form can be sent with it. What the view wrote before failing
(a failed witness attempt's audit event) commits as it would without the decorator.

A repeat answers with the first submission's redirect and the message "already recorded", or a
409 for a request that was not redirected.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.utils import timezone

from ketaclinic.ops.models import FormToken

FIELD = "form_token"
HEADER = "HTTP_IDEMPOTENCY_KEY"
FINGERPRINT_SECONDS = 10
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ALREADY = "This form was already submitted (a double click or a resend): it was recorded once."
SUCCESS_STATUSES = frozenset({201, 301, 302, 303, 307, 308})
_IGNORED = frozenset({"csrfmiddlewaretoken", FIELD})

View = TypeVar("View", bound=Callable[..., HttpResponse])


def new_token() -> str:
    return secrets.token_urlsafe(24)


class _BadTokenError(ValueError):
    pass


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _keys(request: HttpRequest, user_id: int, now: dt.datetime) -> list[str]:
    """The rows this submission inserts; a twin inserts one of the same rows and fails.

    A form's content claims its ``FINGERPRINT_SECONDS`` bucket and the next one, so that a
    double click across a bucket boundary still collides, and a later identical submission
    (two buckets on) does not."""
    given = request.POST.get(FIELD) or str(request.META.get(HEADER, ""))
    if given:
        if not TOKEN_RE.match(given):
            raise _BadTokenError
        return [_digest("token", str(user_id), given)]
    fields = sorted(
        (name, value)
        for name, values in request.POST.lists()
        if name not in _IGNORED
        for value in values
    )
    content = _digest(*(f"{n}={v}" for n, v in fields))
    bucket = int(now.timestamp()) // FINGERPRINT_SECONDS
    return [
        _digest("content", str(user_id), request.path, content, str(b))
        for b in (bucket, bucket + 1)
    ]


@functools.lru_cache(maxsize=8)
def _insert_sql(vendor: str, rows: int) -> str:
    """The token rows' INSERT, written once (issue 15: the ORM compiled it on every form)."""
    qn = transaction.get_connection().ops.quote_name
    columns = ", ".join(qn(f.column) for f in _FIELDS)
    values = ", ".join([f"({', '.join(['%s'] * len(_FIELDS))})"] * rows)
    return f"INSERT INTO {qn(FormToken._meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608


_FIELDS = tuple(f for f in FormToken._meta.concrete_fields if not f.primary_key)


def _insert(rows: list[FormToken]) -> None:
    """INSERT the token rows in one statement; a twin's row raises ``IntegrityError``."""
    connection = transaction.get_connection()
    params = [
        f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows for f in _FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, len(rows)), params)


def _repeat(request: HttpRequest, keys: list[str]) -> HttpResponse:
    first = FormToken.objects.filter(key__in=keys).exclude(redirect_to="").first()
    if first is not None:
        messages.info(request, ALREADY)
        return HttpResponseRedirect(first.redirect_to)
    return HttpResponse(ALREADY, status=409, content_type="text/plain; charset=utf-8")


class _TwinError(Exception):
    """The submission's token row exists: leave the transaction (nothing else was done)."""


def _run_once(
    view: Callable[..., HttpResponse], request: HttpRequest, keys: list[str], args: Any, kwargs: Any
) -> tuple[HttpResponse | None, BaseException | None]:
    """Run the view inside the token's transaction; give the token back unless it succeeded."""
    tokens = FormToken.objects.filter(key__in=keys)
    try:
        response = view(request, *args, **kwargs)
    except Exception as exc:  # re-raised by the caller, after the token is given back
        if transaction.get_connection().needs_rollback:
            raise  # the transaction is broken: roll it all back, token included
        tokens.delete()
        return None, exc
    if response.status_code not in SUCCESS_STATUSES:
        tokens.delete()
    elif response.status_code != 201 and response.get("Location"):
        tokens.update(redirect_to=response["Location"][:500])
    return response, None


def once_per_form(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if request.method != "POST" or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        now = timezone.now()
        try:
            keys = _keys(request, user.pk, now)
        except _BadTokenError:
            return HttpResponseBadRequest(
                "form_token: expected the 16 to 64 letters, digits, '-' or '_' the form was "
                "issued with; reload the page and submit again.",
                content_type="text/plain; charset=utf-8",
            )
        path = request.path[:200]
        rows = [FormToken(key=k, user_id=user.pk, path=path, created_at=now) for k in keys]
        try:
            with transaction.atomic():
                try:
                    # The first statement of the transaction: a twin fails here (on PostgreSQL
                    # it waits for the first to commit), before the view does anything.
                    _insert(rows)
                except IntegrityError:
                    raise _TwinError from None
                response, failure = _run_once(view, request, keys, args, kwargs)
        except _TwinError:
            return _repeat(request, keys)
        if failure is not None:
            raise failure
        assert response is not None  # noqa: S101  (no failure means the view answered)
        return response

    return wrapper  # type: ignore[return-value]
