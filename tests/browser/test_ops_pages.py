"""The clinic admin's operations pages in a real browser, on a phone and a desktop: the audit
trail leads to the security report, which leads to the background jobs page; a failed sign-in
and a failed job are on them; they add no sideways scrolling (wide tables scroll in place)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import sign_in_through_ui
from tests.browser.test_layout import _OVERHANGS, _horizontal_overflow

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_admin_reads_the_security_report_and_the_failed_jobs(new_page, clinic_admin, width):
    from ketaclinic.audit.models import EventType
    from ketaclinic.audit.services import audit_record
    from ketaclinic.ops.models import JobRun, RunStatus

    with transaction.atomic():
        audit_record(event_type=EventType.LOGIN_FAILED, username=clinic_admin.user.username)
    now = timezone.now()
    JobRun.objects.create(
        job="audit_anchor",
        period="2026-12-01T03",
        created_at=now,
        not_before=now,
        status=RunStatus.FAILED,
        attempts=3,
        last_error="PermissionError on attempt 3 of 3",
    )

    page = sign_in_through_ui(new_page(viewport={"width": width, "height": 900}), clinic_admin)
    # The shared top bar is measured on the home page: at 390 px the clinic admin's menu is wider
    # than the screen (templates/base.html, not these pages); these pages add nothing to it.
    page.goto("/")
    layout = _horizontal_overflow(page)
    page.goto("/audit/")
    page.get_by_role("link", name="Security report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit report")
    failed = page.get_by_role("region", name="Failed sign-ins: 1")
    expect(failed).to_contain_text(clinic_admin.user.username)
    assert _horizontal_overflow(page) <= layout, page.evaluate(_OVERHANGS)

    page.get_by_role("link", name="Background jobs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Background jobs")
    expect(page.locator("table").first).to_contain_text("Audit chain anchoring")
    expect(page.locator("table").first).to_contain_text("PermissionError on attempt 3 of 3")
    assert _horizontal_overflow(page) <= layout, page.evaluate(_OVERHANGS)
