"""What the treatment views share: the role check for a page and the one way a refused service
reaches the user (``run_service``; on pages that redirect, its form-level errors as messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied

from ketaclinic.accounts.http import ClinicRequest, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm

T = TypeVar("T")


def require(membership: Membership, *perms: Perm) -> None:
    """403 unless the membership has one of the permissions."""
    if not any(membership.can(p) for p in perms):
        raise PermissionDenied


def run_service_with_messages(
    request: ClinicRequest, form: forms.BaseForm, call: Callable[[], T]
) -> T | None:
    """``run_service``, then show the errors that have no field on this form as messages."""
    result = run_service(form, call)
    if result is None:
        for error in form.non_field_errors():
            messages.error(request, str(error))
    return result


def errors_as_messages(request: ClinicRequest, form: forms.BaseForm, *, form_level: bool) -> None:
    """A failed form's errors as messages, for a view that redirects instead of re-rendering.
    ``form_level=False`` when ``run_service_with_messages`` already showed the form-level ones."""
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS and not form_level:
            continue
        field = form.fields.get(name)
        for error in errors:
            messages.error(
                request, f"{field.label}: {error}" if field and field.label else str(error)
            )
