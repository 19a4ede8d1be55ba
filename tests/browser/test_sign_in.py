"""Signing in through the real login page: password, then the TOTP code from an authenticator app."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from ketaclinic import testing
from tests.browser.conftest import field_group, sign_in_through_ui

pytestmark = pytest.mark.browser


def _a_code_that_is_not_valid_now(user) -> str:
    """A well-formed 6-digit code that the server's tolerance window (one step either side) rejects."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.totp import current_code

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    now = time.time()
    near = {current_code(device, at=now + k * device.step) for k in range(-2, 3)}
    return next(
        c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in near
    )


def test_a_nurse_signs_in_with_password_and_totp_code_and_lands_on_her_home_page(new_page, nurse):
    page = new_page()
    sign_in_through_ui(page, nurse)

    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today at North Clinic")
    expect(page.get_by_text("Signed in as Sam Tester, nurse.")).to_be_visible()
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("North Clinic")
    expect(banner).to_contain_text("Nurse")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients")
    ).to_be_visible()


def test_a_wrong_totp_code_shows_an_error_next_to_the_code_field_and_does_not_sign_in(
    new_page, nurse
):
    page = new_page()
    page.goto("/account/login/")
    page.get_by_label("Username").fill(nurse.user.username)
    page.get_by_label("Password").fill(testing.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url("/account/login/verify/")

    code_field = page.get_by_label("6-digit code")
    code_field.fill(_a_code_that_is_not_valid_now(nurse.user))
    page.get_by_role("button", name="Sign in").click()

    group = field_group(page, "6-digit code")
    expect(group.locator(".errorlist")).to_contain_text("That code is not valid")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url("/account/login/verify/")

    # Still only half signed in: the home page and the patient list send her back to the code step.
    for path in ("/", "/patients/"):
        page.goto(path)
        expect(page).to_have_url("/account/login/verify/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor code")


def test_a_wrong_password_does_not_reach_the_code_step(new_page, nurse):
    page = new_page()
    page.goto("/account/login/")
    page.get_by_label("Username").fill(nurse.user.username)
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    expect(page).to_have_url("/account/login/")
