"""The chair board's poll in a real browser (issue 15): an unchanged poll (204) leaves the page's
rows exactly as they are, and a reading posted at the chair from another browser reaches the
board at the next poll. The page's 15-second timer is run with Playwright's clock, so the test
waits for no real interval."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketaclinic import testing
from tests.browser.conftest import sign_in_through_ui

pytestmark = pytest.mark.browser

ROWS = "/treatment/board/rows/"


def _poll(board: Any) -> Any:
    """Run the page's timers past one poll; the poll's response."""
    with board.expect_response(lambda r: ROWS in r.url) as polled:
        board.clock.run_for(16_000)
    return polled.value


def test_the_board_keeps_unchanged_rows_and_shows_a_reading_posted_elsewhere(
    new_page: Any, nurse: Any, prescriber: Any, clinic_admin: Any, make_member: Any, clinic: Any
) -> None:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    colleague = make_member(clinic, "robin", "nurse")

    board = new_page()
    board.clock.install()
    sign_in_through_ui(board, nurse)
    board.goto("/treatment/board/")
    row = board.locator(f'tr[data-session="{session.pk}"]')
    expect(row).to_be_visible()
    expect(row.locator(".critical-alert")).to_have_count(0)
    # Mark the rows' element: a swap (outerHTML) would replace it and lose the mark.
    board.locator("#board").evaluate("el => { el.dataset.kept = 'yes'; }")
    first = board.locator("#board").get_attribute("data-board-version")

    unchanged = _poll(board)
    assert unchanged.status == 204
    assert unchanged.request.headers.get("x-board-version") == first
    expect(board.locator("#board")).to_have_attribute("data-kept", "yes")

    chair = sign_in_through_ui(new_page(), colleague)
    chair.goto(f"/treatment/sessions/{session.pk}/")
    form = chair.locator("#observation-form")
    form.get_by_label("Measurement").select_option("spo2")
    form.locator('[name="value"]').fill("85")
    form.get_by_role("button", name="Record reading").click()
    expect(chair.locator(".alert-item.critical").first).to_be_visible()

    changed = _poll(board)
    assert changed.status == 200
    expect(row.locator(".critical-alert")).to_contain_text("SpO2")
    expect(board.locator("#board")).not_to_have_attribute("data-kept", "yes")
    newer = board.locator("#board").get_attribute("data-board-version")
    assert newer and newer != first
    # The new rows poll with their own version: unchanged again.
    again = _poll(board)
    assert again.status == 204
    assert again.request.headers.get("x-board-version") == newer
