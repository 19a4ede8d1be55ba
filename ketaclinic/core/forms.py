from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError

T = TypeVar("T")

# Service field names that a form shows under another name.
_FIELD_ALIASES = {"weight": "value", "height": "value", "unit": "unit"}


def run_service(form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """Call a service; put its validation errors next to the matching form fields (or on top)."""
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
