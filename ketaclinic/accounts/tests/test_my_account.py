"""Each user's own account: their roles, their password, signing out everywhere."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from ketaclinic.accounts import services
from ketaclinic.accounts.models import UserSession as Session
from ketaclinic.accounts.permissions import Role
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.testing import PASSWORD, sign_in

NEW = "a-fresh-river-stone-9"


def _location(response) -> str:
    return str(response.get("Location", "")).split("?")[0]


def test_my_account_lists_my_roles_in_every_clinic_active_or_not(
    nurse, other_clinic, clinic_admin, login
) -> None:
    services.membership_grant(by=None, user=nurse.user, clinic=other_clinic, role=Role.RESEARCHER)
    client = login(nurse)
    response = client.get(reverse("accounts:me"))
    assert response.status_code == 200
    rows = [(m.clinic.name, m.role, m.is_active) for m in response.context["own_memberships"]]
    assert rows == [("North Clinic", "nurse", True), ("South Clinic", "researcher", True)]


def test_changing_my_password_keeps_this_session_and_ends_the_others(nurse) -> None:
    other_device = sign_in(Client(), nurse)
    client = sign_in(Client(), nurse)
    url = reverse("accounts:password_change")
    response = client.post(
        url, {"current_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert _location(response) == reverse("accounts:me")
    assert client.get(reverse("home")).status_code == 200
    assert _location(other_device.get(reverse("home"))) == reverse("accounts:login")
    assert AuditEvent.objects.filter(event_type=EventType.PASSWORD_CHANGED).count() == 1


def test_a_wrong_current_password_or_mismatch_is_shown_next_to_the_field(nurse, login) -> None:
    client = login(nurse)
    url = reverse("accounts:password_change")
    response = client.post(
        url, {"current_password": "nope-nope-nope", "new_password1": NEW, "new_password2": NEW}
    )
    assert "not your current password" in response.context["form"].errors["current_password"][0]
    response = client.post(
        url, {"current_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"}
    )
    assert "differ" in response.context["form"].errors["new_password2"][0]
    response = client.post(
        url, {"current_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert "too short" in str(response.context["form"].errors["new_password1"])
    nurse.user.refresh_from_db()
    assert nurse.user.check_password(PASSWORD)


def test_sign_out_everywhere_ends_every_session_of_mine(nurse, prescriber) -> None:
    phone = sign_in(Client(), nurse)
    colleague = sign_in(Client(), prescriber)
    client = sign_in(Client(), nurse)
    assert client.get(reverse("accounts:sessions_end")).status_code == 405
    response = client.post(reverse("accounts:sessions_end"))
    assert _location(response) == reverse("accounts:login")
    assert _location(phone.get(reverse("home"))) == reverse("accounts:login")
    assert _location(client.get(reverse("home"))) == reverse("accounts:login")
    assert colleague.get(reverse("home")).status_code == 200
    users = {s.get_decoded().get("_auth_user_id") for s in Session.objects.all()}
    assert str(nurse.user_id) not in users
    event = AuditEvent.objects.get(event_type=EventType.SESSIONS_ENDED)
    assert event.actor_id == nurse.user_id
    assert event.extra == {"sessions_ended": 2}
