"""One query per request reads the session, the user, the second factor and the memberships
(accounts/sessions.py, issue 15). Nothing of it outlives the request: each revocation below is
refused at the very next request of a session that was working a moment before."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Membership, User, UserSession
from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.services import membership_grant

pytestmark = pytest.mark.django_db

PATIENTS = "/patients/"


def _ok(client: Any) -> None:
    response = client.get(PATIENTS)
    assert response.status_code == 200
    assert "Patients" in response.content.decode()


def test_the_user_device_and_memberships_come_from_one_query(nurse, login) -> None:
    client = login(nurse)
    client.get(PATIENTS)  # the first request renews the session (a write): not measured
    with CaptureQueriesContext(connection) as captured:
        _ok(client)
    sql = [q["sql"] for q in captured.captured_queries]
    session_reads = [s for s in sql if "accounts_usersession" in s]
    assert len(session_reads) == 1
    read = session_reads[0]
    for table in ("accounts_user", "otp_totp_totpdevice", "accounts_membership", "accounts_clinic"):
        assert table in read
    # Nothing reads the user, the device or the memberships again on its own.
    others = [s for s in sql if s is not read]
    assert not [s for s in others if 'FROM "accounts_user"' in s]
    assert not [s for s in others if 'FROM "otp_totp_totpdevice"' in s]
    assert not [s for s in others if 'FROM "accounts_membership"' in s]


def test_the_session_row_names_the_user_and_the_verified_device(nurse, login) -> None:
    client = login(nurse)
    row = UserSession.objects.get(session_key=client.session.session_key)
    device = TOTPDevice.objects.get(user=nurse.user)
    assert (row.user_id, row.otp_device_id) == (nurse.user_id, device.pk)


def test_a_deactivated_user_is_signed_out_at_the_next_request(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    User.objects.filter(pk=nurse.user_id).update(is_active=False)
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_password_changed_elsewhere_ends_the_session_at_the_next_request(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    user = User.objects.get(pk=nurse.user_id)
    user.set_password("Another-long-passphrase-2026")
    user.save(update_fields=["password"])
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_removed_membership_is_refused_at_the_next_request(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    Membership.objects.filter(pk=nurse.pk).update(is_active=False)
    response = client.get(PATIENTS)
    assert response.status_code == 403
    assert "Patients" not in response.content.decode()


def test_with_one_membership_removed_the_user_works_in_their_other_clinic(
    nurse, other_clinic, login
) -> None:
    membership_grant(by=None, user=nurse.user, clinic=other_clinic, role=Role.FRONT_DESK)
    client = login(nurse)
    _ok(client)
    Membership.objects.filter(pk=nurse.pk).update(is_active=False)
    response = client.get(PATIENTS)
    assert response.status_code == 200
    assert response.wsgi_request.membership.clinic_id == other_clinic.pk


def test_a_changed_role_applies_at_the_next_request(clinic_admin, login) -> None:
    client = login(clinic_admin)
    assert client.get(reverse("accounts:staff")).status_code == 200
    Membership.objects.filter(pk=clinic_admin.pk).update(role="nurse")
    assert client.get(reverse("accounts:staff")).status_code == 403
    assert client.get(PATIENTS).status_code == 200


def test_a_removed_device_sends_the_user_back_to_the_second_factor(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    TOTPDevice.objects.filter(user=nurse.user).delete()
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")


def test_an_unconfirmed_device_does_not_count_as_a_second_factor(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    TOTPDevice.objects.filter(user=nurse.user).update(confirmed=False)
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")


def test_a_session_naming_another_users_device_is_not_verified(nurse, prescriber, login) -> None:
    client = login(nurse)
    theirs = TOTPDevice.objects.get(user=prescriber.user)
    session = client.session
    session["otp_device_id"] = theirs.persistent_id
    session.save()
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")


def test_an_ended_session_row_signs_the_user_out(nurse, login) -> None:
    client = login(nurse)
    _ok(client)
    UserSession.objects.filter(user_id=nurse.user_id).delete()
    response = client.get(PATIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
