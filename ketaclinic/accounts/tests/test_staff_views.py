"""The clinic admin's staff and clinic pages as people use them: who may open them, what a change asks
for, and what the member sees at their next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import services
from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.tests.conftest import step_up_data
from ketaclinic.accounts.totp import current_code
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.testing import PASSWORD, sign_in

TEMP = "lantern-orchard-7-quietly"
MEMBER_ROUTES = [
    "accounts:staff_detail",
    "accounts:staff_role",
    "accounts:staff_deactivate",
    "accounts:staff_reactivate",
    "accounts:staff_second_factor",
    "accounts:staff_password",
]
PLAIN_ADMIN_ROUTES = ["accounts:staff", "accounts:staff_add", "accounts:clinic_settings"]
NON_ADMINS = ["prescriber", "nurse", "front_desk", "inventory_manager", "researcher"]


def _location(response) -> str:
    return str(response.get("Location", "")).split("?")[0]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_every_role_but_clinic_admin_gets_403_on_the_staff_and_clinic_pages(
    role: str, request: pytest.FixtureRequest, nurse, login
) -> None:
    client = login(request.getfixturevalue(role))
    urls = [reverse(name) for name in PLAIN_ADMIN_ROUTES]
    urls += [reverse(name, kwargs={"membership_id": nurse.pk}) for name in MEMBER_ROUTES]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url


def test_an_admin_of_another_clinic_gets_404_for_this_clinics_members(
    south_admin, nurse, login
) -> None:
    client = login(south_admin)
    for name in MEMBER_ROUTES:
        url = reverse(name, kwargs={"membership_id": nurse.pk})
        assert client.get(url).status_code == 404, url
        post = {"reason": "x", "role": "researcher", **step_up_data(south_admin)}
        assert client.post(url, post).status_code == 404, url
    nurse.refresh_from_db()
    assert nurse.is_active
    assert nurse.role == Role.NURSE
    # And the staff list shows only South's members.
    page = client.get(reverse("accounts:staff")).content.decode()
    assert nurse.user.username not in page


def test_the_staff_list_shows_role_access_two_factor_and_last_sign_in(
    clinic_admin, nurse, prescriber, outsider, login, django_assert_max_num_queries
) -> None:
    TOTPDevice.objects.filter(user=prescriber.user).delete()
    services.membership_deactivate(by=clinic_admin, membership=nurse, reason="Left")
    client = login(clinic_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:staff"))
    assert response.status_code == 200
    rows = {m.user.username: m for m in response.context["staff"]}
    assert set(rows) == {"morgan", "sam", "dana"}  # never South's olga
    assert rows["dana"].has_second_factor is False
    assert rows["sam"].has_second_factor is True
    assert rows["sam"].is_active is False
    page = response.content.decode()
    assert "Deactivated" in page
    assert "Not enrolled" in page
    assert "never" in page  # nobody signed in through the login form yet


def test_the_staff_list_needs_a_constant_number_of_queries(
    clinic_admin, clinic, make_member, login, django_assert_num_queries
) -> None:
    client = login(clinic_admin)
    client.get(reverse("accounts:staff"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:staff"))
    for i in range(5):
        make_member(clinic, f"extra{i}", Role.NURSE)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("accounts:staff"))
    assert len(response.context["staff"]) == 6


def test_an_admin_adds_a_staff_member_with_step_up(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    data = {
        "username": "rowan",
        "first_name": "Rowan",
        "last_name": "Hale",
        "printed_name": "Rowan Hale, RN",
        "email": "",
        "role": "nurse",
        "temporary_password": TEMP,
        **step_up(clinic_admin),
    }
    response = client.post(reverse("accounts:staff_add"), data)
    member = Membership.objects.get(user__username="rowan")
    assert _location(response) == reverse("accounts:staff_detail", args=[member.pk])
    assert member.user.must_change_password
    page = client.get(_location(response)).content.decode()
    assert "Rowan Hale, RN" in page
    assert "temporary password" in page


def test_a_weak_temporary_password_is_shown_next_to_its_field(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    data = {
        "username": "rowan",
        "role": "nurse",
        "temporary_password": "rowanrowan",
        **step_up(clinic_admin),
    }
    response = client.post(reverse("accounts:staff_add"), data)
    assert response.status_code == 200
    assert "temporary_password" in response.context["form"].errors
    assert not User.objects.filter(username="rowan").exists()


def test_adding_an_existing_username_says_nothing_of_the_other_clinic(
    clinic_admin, outsider, login, step_up
) -> None:
    client = login(clinic_admin)
    data = {
        "username": outsider.user.username,
        "role": "nurse",
        "temporary_password": TEMP,
        **step_up(clinic_admin),
    }
    response = client.post(reverse("accounts:staff_add"), data, follow=True)
    page = response.content.decode()
    assert "already had an account" in page
    assert "South" not in page
    assert "south" not in page
    assert Membership.objects.filter(user=outsider.user, clinic=clinic_admin.clinic).exists()


def test_a_failed_step_up_changes_nothing_and_is_audited(
    clinic_admin, nurse, login, step_up
) -> None:
    client = login(clinic_admin)
    url = reverse("accounts:staff_deactivate", args=[nurse.pk])
    data = {**step_up(clinic_admin), "your_password": "not-my-password-at-all", "reason": "Left"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    nurse.refresh_from_db()
    assert nurse.is_active
    event = AuditEvent.objects.get(event_type=EventType.REAUTH_FAILED)
    assert event.actor_id == clinic_admin.user_id
    assert event.extra == {"purpose": "staff.deactivate"}
    assert not AuditEvent.objects.filter(event_type=EventType.MEMBERSHIP_DEACTIVATED).exists()


def test_a_wrong_code_fails_the_step_up_too(clinic_admin, nurse, login, step_up) -> None:
    client = login(clinic_admin)
    data = step_up(clinic_admin)
    device = TOTPDevice.objects.get(user=clinic_admin.user)
    wrong = next(c for c in ("000000", "111111", "222222") if c != data["your_code"])
    assert wrong != current_code(device)
    url = reverse("accounts:staff_role", args=[nurse.pk])
    response = client.post(url, {**data, "your_code": wrong, "role": "prescriber", "reason": "NP"})
    assert response.status_code == 200
    nurse.refresh_from_db()
    assert nurse.role == Role.NURSE
    assert AuditEvent.objects.filter(event_type=EventType.REAUTH_FAILED).count() == 1


def test_a_role_change_through_the_page(clinic_admin, nurse, login, step_up) -> None:
    client = login(clinic_admin)
    url = reverse("accounts:staff_role", args=[nurse.pk])
    assert client.get(url).context["form"].initial["role"] == "nurse"
    data = {"role": "prescriber", "reason": "Qualified as NP", **step_up(clinic_admin)}
    response = client.post(url, data)
    assert _location(response) == reverse("accounts:staff_detail", args=[nurse.pk])
    nurse.refresh_from_db()
    assert nurse.role == Role.PRESCRIBER


def test_the_last_admin_is_told_why_they_cannot_step_down(clinic_admin, login, step_up) -> None:
    client = login(clinic_admin)
    data = {"role": "nurse", "reason": "Stepping down", **step_up(clinic_admin)}
    response = client.post(reverse("accounts:staff_role", args=[clinic_admin.pk]), data)
    assert response.status_code == 200
    assert "last active clinic admin" in str(response.context["form"].errors["role"])
    data = {"reason": "Leaving", **step_up(clinic_admin)}
    response = client.post(reverse("accounts:staff_deactivate", args=[clinic_admin.pk]), data)
    assert response.status_code == 200
    assert "last active clinic admin" in response.content.decode()
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active


def test_a_deactivated_member_is_refused_at_their_next_request(
    clinic_admin, nurse, step_up
) -> None:
    nurse_client = sign_in(Client(), nurse)
    assert nurse_client.get(reverse("patients:list")).status_code == 200
    admin_client = sign_in(Client(), clinic_admin)
    data = {"reason": "Contract ended", **step_up(clinic_admin)}
    admin_client.post(reverse("accounts:staff_deactivate", args=[nurse.pk]), data)
    response = nurse_client.get(reverse("patients:list"))
    assert response.status_code == 403
    assert "no active role" in response.content.decode()
    assert nurse_client.get(reverse("home")).status_code == 403

    admin_client.post(
        reverse("accounts:staff_reactivate", args=[nurse.pk]),
        {"reason": "Rehired", **step_up(clinic_admin)},
    )
    assert nurse_client.get(reverse("patients:list")).status_code == 200


def test_a_member_deactivated_here_keeps_working_in_their_other_clinic(
    clinic_admin, nurse, other_clinic
) -> None:
    services.membership_grant(by=None, user=nurse.user, clinic=other_clinic, role=Role.NURSE)
    client = sign_in(Client(), nurse)
    services.membership_deactivate(by=clinic_admin, membership=nurse, reason="Moved")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["membership"].clinic_id == other_clinic.pk
    # and cannot switch back
    client.post(reverse("accounts:switch_clinic"), {"clinic_id": nurse.clinic_id})
    assert client.get(reverse("home")).context["membership"].clinic_id == other_clinic.pk


def test_resetting_the_second_factor_sends_the_member_to_enrolment(
    clinic_admin, nurse, step_up
) -> None:
    nurse_client = sign_in(Client(), nurse)
    admin_client = sign_in(Client(), clinic_admin)
    data = {"reason": "Phone lost", **step_up(clinic_admin)}
    response = admin_client.post(reverse("accounts:staff_second_factor", args=[nurse.pk]), data)
    assert _location(response) == reverse("accounts:staff_detail", args=[nurse.pk])
    # Their open session is no longer verified: the next request goes to the second step...
    response = nurse_client.get(reverse("patients:list"))
    assert _location(response) == reverse("accounts:verify")
    # ... which, with no device, is enrolment.
    assert _location(nurse_client.get(reverse("accounts:verify"))) == reverse("accounts:enrol")
    # The same at a fresh sign-in.
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})
    assert _location(fresh.get(reverse("accounts:verify"))) == reverse("accounts:enrol")


def test_credential_pages_are_not_offered_for_oneself(clinic_admin, login) -> None:
    client = login(clinic_admin)
    page = client.get(reverse("accounts:staff_detail", args=[clinic_admin.pk])).content.decode()
    assert reverse("accounts:staff_password", args=[clinic_admin.pk]) not in page
    assert reverse("accounts:staff_role", args=[clinic_admin.pk]) in page


def test_a_new_member_signs_in_enrols_and_must_choose_a_password_before_anything_else(
    clinic_admin, login, step_up
) -> None:
    admin_client = login(clinic_admin)
    data = {"username": "rowan", "role": "nurse", "temporary_password": TEMP}
    admin_client.post(reverse("accounts:staff_add"), {**data, **step_up(clinic_admin)})

    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "rowan", "password": TEMP})
    assert response.status_code == 302
    # The second factor comes first: enrolment.
    assert _location(client.get(reverse("home"))) == reverse("accounts:verify")
    assert client.get(reverse("accounts:enrol")).status_code == 200
    device = TOTPDevice.objects.get(user__username="rowan", confirmed=False)
    response = client.post(reverse("accounts:enrol"), {"token": current_code(device)})
    assert response.status_code == 302
    # Then every page sends to the password change, until it is done.
    for name in ("home", "patients:list", "accounts:me", "accounts:staff"):
        response = client.get(reverse(name))
        assert _location(response) == reverse("accounts:password_change"), name
    response = client.post(reverse("patients:create"), {})
    assert _location(response) == reverse("accounts:password_change")
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "Choose your own password" in page.content.decode()

    new = "my-own-secret-meadow-31"
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": TEMP, "new_password1": new, "new_password2": new},
    )
    assert _location(response) == reverse("accounts:me")
    assert client.get(reverse("home")).status_code == 200  # this session stays signed in
    assert not User.objects.get(username="rowan").must_change_password


def test_a_temporary_password_set_by_the_admin_ends_the_members_sessions_and_forces_a_change(
    clinic_admin, nurse, step_up
) -> None:
    nurse_client = sign_in(Client(), nurse)
    admin_client = sign_in(Client(), clinic_admin)
    data = {"temporary_password": TEMP, "reason": "Forgot it", **step_up(clinic_admin)}
    admin_client.post(reverse("accounts:staff_password", args=[nurse.pk]), data)
    assert _location(nurse_client.get(reverse("home"))) == reverse("accounts:login")
    nurse.user.refresh_from_db()
    again = sign_in(Client(), nurse)
    assert _location(again.get(reverse("home"))) == reverse("accounts:password_change")


# -- clinic settings -------------------------------------------------------------------------------

CLINIC_FORM = {
    "name": "North Clinic",
    "address": "1 Pine St",
    "time_zone": "America/Chicago",
    "country": "US",
    "dea_number": "ab1234563",
    "rems_setting_id": "REMS-42",
    "opening_days": ["0", "1", "3"],
    "reason": "Moved to Chicago",
}


def test_the_admin_edits_the_clinic_settings_and_the_change_is_audited(clinic_admin, login) -> None:
    client = login(clinic_admin)
    form = client.get(reverse("accounts:clinic_settings")).context["form"]
    assert form.initial["time_zone"] == "America/New_York"
    response = client.post(reverse("accounts:clinic_settings"), CLINIC_FORM)
    assert _location(response) == reverse("accounts:clinic_settings")
    clinic = Clinic.objects.get(pk=clinic_admin.clinic_id)
    assert clinic.time_zone == "America/Chicago"
    assert clinic.dea_number == "AB1234563"
    assert clinic.opening_days == [0, 1, 3]
    event = AuditEvent.objects.filter(event_type=EventType.CLINIC_UPDATED).latest("id")
    assert event.reason == "Moved to Chicago"
    assert event.extra["changes"]["time_zone"] == {
        "old": "America/New_York",
        "new": "America/Chicago",
    }


def test_invalid_clinic_settings_are_refused_with_messages_naming_the_field(
    clinic_admin, login
) -> None:
    client = login(clinic_admin)
    data = {**CLINIC_FORM, "time_zone": "Mars/Olympus", "dea_number": "AB1234567"}
    response = client.post(reverse("accounts:clinic_settings"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "IANA time zone" in errors["time_zone"][0]
    assert "check digit" in errors["dea_number"][0]
    page = response.content.decode()
    assert "Not saved; check: Time zone, DEA registration number." in page
    data = {**CLINIC_FORM, "opening_days": []}
    response = client.post(reverse("accounts:clinic_settings"), data)
    assert "Choose at least one opening day." in response.context["form"].errors["opening_days"]
    assert Clinic.objects.get(pk=clinic_admin.clinic_id).time_zone == "America/New_York"


def test_the_clinics_country_is_edited_and_then_reads_phone_numbers_without_a_country_code(
    clinic_admin, login, make_patient
) -> None:
    client = login(clinic_admin)
    page = client.get(reverse("accounts:clinic_settings")).content.decode()
    assert "Country (for phone numbers)" in page
    assert 'value="GB"' in page
    response = client.post(reverse("accounts:clinic_settings"), {**CLINIC_FORM, "country": "XX"})
    assert "Select a valid choice" in response.context["form"].errors["country"][0]
    assert Clinic.objects.get(pk=clinic_admin.clinic_id).country == "US"
    client.post(reverse("accounts:clinic_settings"), {**CLINIC_FORM, "country": "GB"})
    assert Clinic.objects.get(pk=clinic_admin.clinic_id).country == "GB"
    event = AuditEvent.objects.filter(event_type=EventType.CLINIC_UPDATED).latest("id")
    assert event.extra["changes"]["country"] == {"old": "US", "new": "GB"}
    clinic_admin.clinic.refresh_from_db()
    patient = make_patient(clinic_admin, phone="020 7946 0018")
    assert patient.phone == "+442079460018"  # a London number, read as British


# -- navigation ------------------------------------------------------------------------------------


def test_the_nav_shows_staff_to_the_clinic_admin_only_and_my_account_to_everyone(
    clinic_admin, nurse
) -> None:
    admin_page = sign_in(Client(), clinic_admin).get(reverse("home")).content.decode()
    nurse_page = sign_in(Client(), nurse).get(reverse("home")).content.decode()
    assert f'href="{reverse("accounts:staff")}"' in admin_page
    assert f'href="{reverse("accounts:staff")}"' not in nurse_page
    assert f'href="{reverse("accounts:me")}"' in admin_page
    assert f'href="{reverse("accounts:me")}"' in nurse_page
