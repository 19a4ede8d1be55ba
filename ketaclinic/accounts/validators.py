"""Password rules beyond Django's (OWASP ASVS 2.1; issue 10, finding 7): a password of few
distinct characters (``aaaaaaaaaaaa``), a repeated short unit (``abcabcabcabc``) or one built from
the person's own username or names (``prescriberprescriber``) is refused, however long."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

MIN_DISTINCT = 6
_ATTRIBUTES = ("username", "first_name", "last_name", "printed_name", "email")


def _repeated_unit(password: str) -> bool:
    """True when the password is one shorter string repeated (``abab``, ``xyzxyzxyz``)."""
    return re.fullmatch(r"(.+?)\1+", password, flags=re.DOTALL) is not None


class LowVarietyPasswordValidator:
    """Refuse fewer than ``min_distinct`` different characters or a repeated unit."""

    def __init__(self, min_distinct: int = MIN_DISTINCT) -> None:
        self.min_distinct = min_distinct

    def validate(self, password: str, user: Any = None) -> None:
        if len(set(password.lower())) < self.min_distinct or _repeated_unit(password.lower()):
            raise ValidationError(self.get_help_text(), code="password_low_variety")

    def get_help_text(self) -> str:
        return (
            f"Your password must use at least {self.min_distinct} different characters and not "
            "repeat one short part."
        )


class UserAttributeContainedValidator:
    """Refuse a password made mostly of the user's username or names: Django's similarity check
    compares the whole strings, so ``prescriberprescriber`` passes it."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        lowered = password.lower()
        for attribute in _ATTRIBUTES:
            value = str(getattr(user, attribute, "") or "").lower()
            parts = {value, *re.split(r"\W+", value)}
            for part in parts:
                if len(part) >= 4 and len(lowered.replace(part, "")) < len(lowered) / 2:
                    raise ValidationError(self.get_help_text(), code="password_user_attribute")

    def get_help_text(self) -> str:
        return "Your password must not be built from your username or your name."
