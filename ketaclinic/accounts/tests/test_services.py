"""Account-management services: each change is checked, refused when it must be, and audited with its
old and new values and the reason, in the same transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import services
from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.models import UserSession as Session
from ketaclinic.accounts.permissions import Role
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.audit.verify import audit_chain_verify
from ketaclinic.testing import PASSWORD, sign_in

TEMP = "lantern-orchard-7-quietly"


def _last(event_type: EventType) -> AuditEvent:
    return AuditEvent.objects.filter(event_type=event_type).latest("id")


# -- adding staff ----------------------------------------------------------------------------------


def test_adding_a_new_person_creates_an_account_that_must_change_its_password(
    clinic_admin,
) -> None:
    added = services.staff_add(
        by=clinic_admin,
        username="rowan",
        role=Role.NURSE,
        temporary_password=TEMP,
        first_name="Rowan",
        last_name="Hale",
        printed_name="Rowan Hale, RN",
        email="rowan@example.org",
    )
    assert added.new_account
    user = added.membership.user
    assert user.must_change_password
    assert user.check_password(TEMP)
    assert added.membership.clinic_id == clinic_admin.clinic_id
    assert added.membership.role == Role.NURSE
    created = _last(EventType.USER_CREATED)
    assert created.actor_id == clinic_admin.user_id
    assert created.clinic_id == clinic_admin.clinic_id
    assert created.extra["changes"]["printed_name"] == {"old": None, "new": "Rowan Hale, RN"}
    assert TEMP not in str(created.extra)
    granted = _last(EventType.MEMBERSHIP_CREATED)
    assert granted.extra["changes"]["role"] == {"old": None, "new": "nurse"}
    assert audit_chain_verify().ok


def test_a_weak_temporary_password_is_refused_on_that_field(clinic_admin) -> None:
    with pytest.raises(ValidationError) as exc:
        services.staff_add(
            by=clinic_admin, username="rowan", role=Role.NURSE, temporary_password="password123"
        )
    assert "temporary_password" in exc.value.message_dict
    assert not User.objects.filter(username="rowan").exists()


def test_an_existing_username_of_another_clinic_gets_a_role_here_and_keeps_its_account(
    clinic_admin, outsider
) -> None:
    added = services.staff_add(
        by=clinic_admin,
        username=outsider.user.username,
        role=Role.RESEARCHER,
        temporary_password=TEMP,
        first_name="Changed",
    )
    assert not added.new_account
    user = User.objects.get(pk=outsider.user_id)
    assert user.check_password(PASSWORD)  # the admin's temporary password was not used
    assert not user.must_change_password
    assert user.first_name == "Olga"
    assert set(user.memberships.values_list("clinic__code", "role")) == {
        ("south", "prescriber"),
        ("north", "researcher"),
    }


def test_a_username_already_on_this_clinics_staff_is_refused(clinic_admin, nurse) -> None:
    services.membership_deactivate(by=clinic_admin, membership=nurse, reason="Left")
    with pytest.raises(ValidationError) as exc:
        services.staff_add(
            by=clinic_admin, username=nurse.user.username, role=Role.NURSE, temporary_password=TEMP
        )
    assert "already on this clinic" in exc.value.message_dict["username"][0]
    nurse.refresh_from_db()
    assert not nurse.is_active  # reactivation is its own, reasoned change


def test_only_an_active_clinic_admin_may_call_the_staff_services(nurse, prescriber) -> None:
    with pytest.raises(PermissionDenied):
        services.staff_add(by=nurse, username="x", role=Role.NURSE, temporary_password=TEMP)
    with pytest.raises(PermissionDenied):
        services.membership_change_role(
            by=nurse, membership=prescriber, role=Role.NURSE, reason="no"
        )


def test_an_admin_cannot_touch_a_membership_of_another_clinic(clinic_admin, outsider) -> None:
    with pytest.raises(PermissionDenied):
        services.membership_deactivate(by=clinic_admin, membership=outsider, reason="no")
    with pytest.raises(PermissionDenied):
        services.user_reset_second_factor(by=clinic_admin, member=outsider, reason="no")
    outsider.refresh_from_db()
    assert outsider.is_active


# -- roles and access ------------------------------------------------------------------------------


def test_a_role_change_is_audited_with_old_and_new_role_and_reason(clinic_admin, nurse) -> None:
    services.membership_change_role(
        by=clinic_admin, membership=nurse, role=Role.PRESCRIBER, reason="Now an NP"
    )
    nurse.refresh_from_db()
    assert nurse.role == Role.PRESCRIBER
    event = _last(EventType.MEMBERSHIP_UPDATED)
    assert event.reason == "Now an NP"
    assert event.extra["changes"] == {"role": {"old": "nurse", "new": "prescriber"}}
    assert event.object_id == str(nurse.pk)
    assert event.actor_id == clinic_admin.user_id


def test_a_role_change_needs_a_reason(clinic_admin, nurse) -> None:
    with pytest.raises(ValidationError) as exc:
        services.membership_change_role(
            by=clinic_admin, membership=nurse, role=Role.PRESCRIBER, reason="  "
        )
    assert "reason" in exc.value.message_dict
    nurse.refresh_from_db()
    assert nurse.role == Role.NURSE


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(clinic_admin) -> None:
    with pytest.raises(ValidationError) as exc:
        services.membership_change_role(
            by=clinic_admin, membership=clinic_admin, role=Role.NURSE, reason="Stepping down"
        )
    assert "last active clinic admin" in exc.value.message_dict["role"][0]
    with pytest.raises(ValidationError, match="last active clinic admin"):
        services.membership_deactivate(by=clinic_admin, membership=clinic_admin, reason="Leaving")
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_active
    assert clinic_admin.role == Role.CLINIC_ADMIN
    assert not AuditEvent.objects.filter(event_type=EventType.MEMBERSHIP_DEACTIVATED).exists()


def test_with_a_second_active_admin_an_admin_may_step_down(clinic_admin, second_admin) -> None:
    services.membership_change_role(
        by=clinic_admin, membership=clinic_admin, role=Role.NURSE, reason="Back to the chair"
    )
    clinic_admin.refresh_from_db()
    assert clinic_admin.role == Role.NURSE
    # ... and now the other one is the last.
    with pytest.raises(ValidationError):
        services.membership_deactivate(by=second_admin, membership=second_admin, reason="Leaving")


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(
    clinic_admin, second_admin
) -> None:
    services.membership_deactivate(by=clinic_admin, membership=second_admin, reason="On leave")
    with pytest.raises(ValidationError):
        services.membership_change_role(
            by=clinic_admin, membership=clinic_admin, role=Role.NURSE, reason="x"
        )


def test_deactivating_and_reactivating_are_audited_and_never_delete(clinic_admin, nurse) -> None:
    services.membership_deactivate(by=clinic_admin, membership=nurse, reason="Contract ended")
    nurse.refresh_from_db()
    assert not nurse.is_active
    off = _last(EventType.MEMBERSHIP_DEACTIVATED)
    assert off.reason == "Contract ended"
    assert off.extra["changes"] == {"is_active": {"old": True, "new": False}}
    with pytest.raises(ValidationError, match="already deactivated"):
        services.membership_deactivate(by=clinic_admin, membership=nurse, reason="again")

    services.membership_reactivate(by=clinic_admin, membership=nurse, reason="Rehired")
    nurse.refresh_from_db()
    assert nurse.is_active
    on = _last(EventType.MEMBERSHIP_REACTIVATED)
    assert on.extra["changes"] == {"is_active": {"old": False, "new": True}}
    assert on.reason == "Rehired"
    assert Membership.objects.filter(pk=nurse.pk).exists()


# -- credentials -----------------------------------------------------------------------------------


def test_resetting_the_second_factor_deletes_the_devices_and_is_audited(
    clinic_admin, nurse
) -> None:
    removed = services.user_reset_second_factor(by=clinic_admin, member=nurse, reason="Phone lost")
    assert removed == 1
    assert not TOTPDevice.objects.filter(user=nurse.user).exists()
    event = _last(EventType.SECOND_FACTOR_RESET)
    assert event.reason == "Phone lost"
    assert event.object_id == str(nurse.user_id)
    assert event.extra["changes"] == {"totp_devices": {"old": 1, "new": 0}}


def test_a_temporary_password_is_set_audited_without_the_password_and_must_be_changed(
    clinic_admin, nurse
) -> None:
    services.user_set_temporary_password(
        by=clinic_admin, member=nurse, password=TEMP, reason="Forgot it"
    )
    user = User.objects.get(pk=nurse.user_id)
    assert user.check_password(TEMP)
    assert user.must_change_password
    event = _last(EventType.TEMPORARY_PASSWORD_SET)
    assert event.reason == "Forgot it"
    assert event.extra["changes"]["must_change_password"] == {"old": False, "new": True}
    assert TEMP not in str(event.extra)
    assert user.password not in str(event.extra)


def test_an_admin_does_not_reset_their_own_credentials_here(clinic_admin) -> None:
    with pytest.raises(ValidationError, match="My account"):
        services.user_set_temporary_password(
            by=clinic_admin, member=clinic_admin, password=TEMP, reason="x"
        )
    with pytest.raises(ValidationError, match="My account"):
        services.user_reset_second_factor(by=clinic_admin, member=clinic_admin, reason="x")


def test_credentials_of_someone_working_in_another_clinic_need_an_admin_of_both(
    clinic_admin, outsider, make_member, other_clinic
) -> None:
    member = services.membership_grant(
        by=clinic_admin, user=outsider.user, clinic=clinic_admin.clinic, role=Role.NURSE
    )
    with pytest.raises(ValidationError) as exc:
        services.user_reset_second_factor(by=clinic_admin, member=member, reason="Phone lost")
    message = exc.value.messages[0]
    assert "another clinic" in message
    assert "South" not in message  # never which clinic
    assert TOTPDevice.objects.filter(user=outsider.user).exists()
    # An admin of both clinics may.
    services.membership_grant(
        by=None, user=clinic_admin.user, clinic=other_clinic, role=Role.CLINIC_ADMIN
    )
    assert services.user_reset_second_factor(by=clinic_admin, member=member, reason="Lost") == 1


def test_changing_ones_password_checks_the_current_one_and_clears_the_flag(nurse) -> None:
    user = nurse.user
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    with pytest.raises(ValidationError) as exc:
        services.user_change_password(
            user=user, current_password="wrong-password-1", new_password="a-fresh-river-stone-9"
        )
    assert "current_password" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.user_change_password(
            user=user, current_password=PASSWORD, new_password="123456789012"
        )
    assert "new_password1" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.user_change_password(user=user, current_password=PASSWORD, new_password=PASSWORD)
    assert "different" in exc.value.message_dict["new_password1"][0]

    services.user_change_password(
        user=user, current_password=PASSWORD, new_password="a-fresh-river-stone-9", by=nurse
    )
    user.refresh_from_db()
    assert user.check_password("a-fresh-river-stone-9")
    assert not user.must_change_password
    event = _last(EventType.PASSWORD_CHANGED)
    assert event.actor_id == user.pk
    assert event.extra["changes"]["must_change_password"] == {"old": True, "new": False}


def test_signing_out_everywhere_deletes_only_that_users_sessions(nurse, prescriber) -> None:
    sign_in(Client(), nurse)
    sign_in(Client(), nurse)
    sign_in(Client(), prescriber)
    assert Session.objects.count() == 3
    assert services.user_sessions_end(user=nurse.user, by=nurse) == 2
    remaining = [s.get_decoded()["_auth_user_id"] for s in Session.objects.all()]
    assert remaining == [str(prescriber.user_id)]
    assert _last(EventType.SESSIONS_ENDED).extra == {"sessions_ended": 2}


# -- clinic settings -------------------------------------------------------------------------------


def test_clinic_settings_changes_are_audited_with_old_and_new_values(clinic_admin) -> None:
    services.clinic_update(
        by=clinic_admin,
        reason="New registration",
        name="North Clinic",
        dea_number="AB1234563",
        opening_days=[0, 2, 4],
    )
    clinic = Clinic.objects.get(pk=clinic_admin.clinic_id)
    assert clinic.dea_number == "AB1234563"
    event = _last(EventType.CLINIC_UPDATED)
    assert event.reason == "New registration"
    assert event.extra["changes"] == {
        "dea_number": {"old": "", "new": "AB1234563"},
        "opening_days": {"old": [0, 1, 2, 3, 4], "new": [0, 2, 4]},
    }


def test_invalid_clinic_settings_are_refused_naming_the_field(clinic_admin) -> None:
    with pytest.raises(ValidationError) as exc:
        services.clinic_update(
            by=clinic_admin, reason="x", time_zone="Mars/Olympus", dea_number="AB1234567"
        )
    errors = exc.value.message_dict
    assert "IANA time zone" in errors["time_zone"][0]
    assert "check digit" in errors["dea_number"][0]
    clinic = Clinic.objects.get(pk=clinic_admin.clinic_id)
    assert clinic.time_zone == "America/New_York"
    assert not AuditEvent.objects.filter(event_type=EventType.CLINIC_UPDATED).exists()


def test_a_clinic_change_needs_a_reason_and_only_an_admin_may_make_it(clinic_admin, nurse) -> None:
    with pytest.raises(ValidationError) as exc:
        services.clinic_update(by=clinic_admin, reason="", name="Renamed")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.clinic_update(by=nurse, reason="x", name="Renamed")


def test_step_up_pauses_after_five_failures_even_for_the_right_credentials(nurse) -> None:
    from ketaclinic.accounts.services import reauthenticate
    from ketaclinic.audit.models import AuditEvent, EventType
    from ketaclinic.testing import PASSWORD, totp_code

    for _ in range(5):
        assert not reauthenticate(membership=nurse, password="wrong-password-123", token="000000")
    assert not reauthenticate(membership=nurse, password=PASSWORD, token=totp_code(nurse.user))
    last = AuditEvent.objects.filter(event_type=EventType.REAUTH_FAILED).order_by("-id").first()
    assert last is not None
    assert last.extra["paused"] is True


def test_step_up_works_again_after_the_cool_off(nurse) -> None:
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from ketaclinic.accounts.services import reauthenticate
    from ketaclinic.testing import PASSWORD, totp_code

    for _ in range(5):
        reauthenticate(membership=nurse, password="wrong-password-123", token="000000")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert reauthenticate(membership=nurse, password=PASSWORD, token=totp_code(nurse.user))
