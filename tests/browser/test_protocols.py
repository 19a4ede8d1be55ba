"""The protocol form in a real browser: "Start from" fills every field, and the 56 mg/kg IV
protocol the first release accepted is refused with the field and the limit named."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import field_group, sign_in_through_ui

pytestmark = pytest.mark.browser


def test_start_from_fills_every_field_and_the_56_mg_per_kg_iv_protocol_is_refused(
    new_page: Any, clinic_admin: Any
) -> None:
    from ketaclinic.treatment.models import Protocol

    page = sign_in_through_ui(new_page(), clinic_admin)
    page.goto("/treatment/protocols/new/")
    # The first template is esketamine: 56 mg usual, cap 84 mg.
    expect(page.get_by_label("Usual dose (mg)")).to_have_value("56")
    page.get_by_label("Start from").select_option("iv_racemic_depression")
    # The form reloads with the IV template's values: none of esketamine's stays.
    expect(page.get_by_label("Usual dose (mg/kg)")).to_have_value("0.5")
    expect(page.get_by_label("Allowed maximum (mg/kg)")).to_have_value("0.75")
    expect(page.get_by_label("Absolute cap (mg/kg)")).to_have_value("1.0")
    expect(page.get_by_label("Infusion time (minutes)")).to_have_value("40")
    expect(page.get_by_label("Code")).to_have_value("iv_racemic_depression_local")
    # Typing the esketamine numbers into the IV protocol: 56 mg/kg IV.
    page.get_by_label("Usual dose (mg/kg)").fill("56")
    page.get_by_label("Allowed minimum (mg/kg)").fill("56")
    page.get_by_label("Allowed maximum (mg/kg)").fill("84")
    page.get_by_label("Absolute cap (mg/kg)").fill("84")
    page.get_by_label("Why (kept with the version)").fill("Copied from the esketamine one")
    page.get_by_role("button", name="Save").click()
    cap = field_group(page, "Absolute cap (mg/kg)")
    expect(cap).to_contain_text("dose.cap: 84 mg/kg")
    expect(cap).to_contain_text("at most 1.0 mg/kg per session")
    expect(field_group(page, "Usual dose (mg/kg)")).to_contain_text("Allowed: at most 1 mg/kg")
    assert not Protocol.objects.exists()
