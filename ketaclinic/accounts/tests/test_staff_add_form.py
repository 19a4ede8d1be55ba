"""Issue 14, finding 6: adding staff asks for a role (no default), takes roles exactly as offered,
shows every error at once next to its field, and spends the admin's step-up code only when the rest
of the form is valid."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import services
from ketaclinic.accounts.models import Membership, User
from ketaclinic.audit.models import AuditEvent, EventType

TEMP = "lantern-orchard-7-quietly"


def _data(step: dict[str, str], **changes: str) -> dict[str, str]:
    return {
        "username": "rowan",
        "first_name": "Rowan",
        "last_name": "Hale",
        "printed_name": "",
        "email": "",
        "role": "nurse",
        "temporary_password": TEMP,
        **step,
        **changes,
    }


def test_the_role_starts_blank_and_must_be_chosen(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    page = client.get(reverse("accounts:staff_add")).content.decode()
    assert '<option value="" selected>Choose a role</option>' in page
    assert "selected>Prescriber" not in page
    response = client.post(reverse("accounts:staff_add"), _data(step_up(clinic_admin), role=""))
    assert response.status_code == 200
    assert "Choose a role" in response.context["form"].errors["role"][0]
    assert not User.objects.filter(username="rowan").exists()


def test_a_role_in_other_letters_is_refused_naming_the_roles(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    response = client.post(
        reverse("accounts:staff_add"), _data(step_up(clinic_admin), role="NURSE")
    )
    assert response.status_code == 200
    message = response.context["form"].errors["role"][0]
    assert "NURSE" in message
    assert "Nurse" in message and "Prescriber" in message
    assert not User.objects.filter(username="rowan").exists()


@pytest.mark.parametrize("role", ["NURSE", "Nurse", "nurse ", "admin", ""])
def test_the_service_refuses_a_role_that_is_not_exactly_one_of_the_roles(
    clinic_admin, role: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.staff_add(
            by=clinic_admin,
            username="rowan",
            role=role,  # type: ignore[arg-type]  # a careless caller passes a plain string
            temporary_password=TEMP,
        )
    assert "role" in excinfo.value.message_dict
    assert not User.objects.filter(username="rowan").exists()


def test_every_error_is_shown_at_once_and_the_code_is_not_spent(
    clinic_admin, login, step_up
) -> None:
    client = login(clinic_admin)
    step = step_up(clinic_admin)
    data = _data(step, username="rowan hale!", temporary_password="rowanrowan", role="")
    response = client.post(reverse("accounts:staff_add"), data)
    errors = response.context["form"].errors
    assert {"username", "role", "temporary_password"} <= set(errors)
    # The code was never checked: no failed step-up, and it still works for the corrected form.
    assert not AuditEvent.objects.filter(event_type=EventType.REAUTH_FAILED).exists()
    assert TOTPDevice.objects.get(user=clinic_admin.user).last_t == -1
    fixed = client.post(reverse("accounts:staff_add"), _data(step))
    assert fixed.status_code == 302
    assert Membership.objects.filter(user__username="rowan", role="nurse").exists()


def test_a_weak_password_and_a_bad_email_come_back_together_without_spending_the_code(
    clinic_admin, login, step_up
) -> None:
    client = login(clinic_admin)
    step = step_up(clinic_admin)
    data = _data(step, temporary_password="rowanrowan", email="not-an-address")
    errors = client.post(reverse("accounts:staff_add"), data).context["form"].errors
    assert {"temporary_password", "email"} <= set(errors)
    assert TOTPDevice.objects.get(user=clinic_admin.user).last_t == -1


def test_a_weak_temporary_password_on_the_member_page_does_not_spend_the_code(
    clinic_admin, nurse, login, step_up
) -> None:
    client = login(clinic_admin)
    step = step_up(clinic_admin)
    url = reverse("accounts:staff_password", args=[nurse.pk])
    data = {"temporary_password": "samsamsam", "reason": "Forgot it", **step}
    response = client.post(url, data)
    assert "temporary_password" in response.context["form"].errors
    assert TOTPDevice.objects.get(user=clinic_admin.user).last_t == -1
    ok = client.post(url, {**data, "temporary_password": TEMP})
    assert ok.status_code == 302


def test_choosing_the_same_role_again_does_not_spend_the_code(
    clinic_admin, nurse, login, step_up
) -> None:
    client = login(clinic_admin)
    step = step_up(clinic_admin)
    url = reverse("accounts:staff_role", args=[nurse.pk])
    response = client.post(url, {"role": "nurse", "reason": "Promotion", **step})
    assert "already has this role" in response.context["form"].errors["role"][0]
    assert TOTPDevice.objects.get(user=clinic_admin.user).last_t == -1
    assert (
        client.post(url, {"role": "prescriber", "reason": "Qualified", **step}).status_code == 302
    )


def test_someone_already_on_the_staff_list_is_named_before_the_code_is_asked(
    clinic_admin, nurse, login, step_up
) -> None:
    client = login(clinic_admin)
    data = _data(step_up(clinic_admin), username=nurse.user.username)
    response = client.post(reverse("accounts:staff_add"), data)
    assert "already on this clinic's staff list" in response.context["form"].errors["username"][0]
    assert TOTPDevice.objects.get(user=clinic_admin.user).last_t == -1


def test_a_long_printed_name_is_refused_not_cut(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    assert "maxlength" not in client.get(reverse("accounts:staff_add")).content.decode()
    response = client.post(
        reverse("accounts:staff_add"), _data(step_up(clinic_admin), printed_name="P" * 250)
    )
    assert "at most 200" in response.context["form"].errors["printed_name"][0]
    assert not User.objects.filter(username="rowan").exists()


@pytest.mark.parametrize("route", ["accounts:staff_add", "accounts:staff_password"])
def test_an_empty_post_shows_the_form_again(clinic_admin, nurse, login, route: str) -> None:
    args = [] if route == "accounts:staff_add" else [nurse.pk]
    response = login(clinic_admin).post(reverse(route, args=args), {})
    assert response.status_code == 200
