"""Checks of a staff change that write nothing: what ``accounts.services`` would refuse, per field,
so that a page shows every error at once and asks for the admin's step-up code (and so spends it)
only when the rest of the form is valid (issue 14, finding 6). The services run the same checks again
inside their transactions."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ketaclinic.accounts.models import Membership, User
from ketaclinic.accounts.permissions import Role


def role_problem(role: object) -> str | None:
    """A role is one of ``Role``'s values exactly ("nurse", never "NURSE" or "Nurse"): the message
    names the roles that exist and what was given."""
    if isinstance(role, str) and role in {r.value for r in Role}:
        return None
    offered = ", ".join(r.label for r in Role)
    return f"Choose a role from the list ({offered}); {str(role)!r} is not one of them."


Problems = dict[str, list[str]]


def _add_problems(problems: Problems, exc: ValidationError, field: str = NON_FIELD_ERRORS) -> None:
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            problems.setdefault(key, []).extend(messages)
    else:
        problems.setdefault(field, []).extend(exc.messages)


def staff_add_problems(
    *,
    by: Membership,
    username: str,
    role: object,
    temporary_password: str,
    first_name: str = "",
    last_name: str = "",
    printed_name: str = "",
    email: str = "",
) -> Problems:
    """Every reason ``staff_add`` would refuse these values, per field, without writing anything (the
    page asks for the admin's step-up code only when there is none: issue 14, finding 6)."""
    problems: Problems = {}
    problem = role_problem(role)
    if problem:
        problems["role"] = [problem]
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        if Membership.objects.filter(user=existing, clinic_id=by.clinic_id).exists():
            problems["username"] = [
                "This person is already on this clinic's staff list; change their role or "
                "reactivate them from their page."
            ]
        return problems
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        printed_name=printed_name,
        email=email,
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        _add_problems(problems, exc)
    try:
        validate_password(temporary_password, user)
    except ValidationError as exc:
        _add_problems(problems, exc, "temporary_password")
    return problems


def credentials_managed_by(by: Membership, member: Membership) -> None:
    """A password or second factor is the person's, across every clinic they work in. An admin of one
    clinic may reset it only when they are an admin of every clinic where that person is active; the
    refusal says that another clinic exists, never which one."""
    if member.user_id == by.user_id:
        raise ValidationError("Change your own password on My account.")
    elsewhere = Membership.objects.filter(user_id=member.user_id, is_active=True).exclude(
        clinic_id=by.clinic_id
    )
    admin_of = Membership.objects.filter(
        user_id=by.user_id, is_active=True, role=Role.CLINIC_ADMIN
    ).values("clinic_id")
    if elsewhere.exclude(clinic_id__in=admin_of).exists():
        raise ValidationError(
            f"{member.user.display_name} also works in another clinic; their password and second "
            "factor can be reset only by an admin of every clinic they work in."
        )


def staff_change_problems(
    *, by: Membership, member: Membership, role: object = None, password: str | None = None
) -> Problems:
    """What a role change (``role``) or a temporary password (``password``) would be refused for,
    without writing or locking: checked before the admin's step-up code is spent. The services
    check again under their locks."""
    problems: Problems = {}
    if role is not None:
        problem = role_problem(role)
        if problem:
            problems["role"] = [problem]
        elif member.role == str(role):
            problems["role"] = [f"{member.user.display_name} already has this role."]
    if password is not None:
        try:
            credentials_managed_by(by, member)
        except ValidationError as exc:
            _add_problems(problems, exc)
        try:
            validate_password(password, member.user)
        except ValidationError as exc:
            _add_problems(problems, exc, "temporary_password")
    return problems
