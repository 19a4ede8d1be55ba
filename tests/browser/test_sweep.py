"""The sweep: every page reachable from each role's home, at 390, 820 and 1280 px.

For each role, a crawl from the home page follows the app's own links (one page per URL shape:
``/patients/<id>/`` is visited once, not once per patient; a bounded number of shapes). On every
page: no 500, no console error, the document no wider than the viewport at each width (one page,
resized), and axe-core (the pinned npm dev dependency, injected from node_modules) reports no
serious or critical violation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

import conftest as root
from ketaclinic import testing

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 820, 1280)
MAX_SHAPES = 40  # URL shapes per role: a bound on the crawl, well above today's page count
# Links that leave, download, or act: not pages to sweep.
SKIP = re.compile(r"(/logout/|\.csv$|\.json$|/r/[^/]+/$)")
_ID = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/)")
# A word longer than any screen: it must wrap, not widen the page.
LONG_WORD = "Hydroxynorketamine" * 30
LONG_TEXT = ("A long clinical note that goes on and on. " * 40).strip()

_AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + " (" + v.impact + "): " + v.help + " at " +
         v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""
# At the narrowest width, regions that now scroll sideways must be reachable from the keyboard.
_AXE_SCROLL = """async () => {
  const r = await axe.run(document, {runOnly: ["scrollable-region-focusable"]});
  return r.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(" | "));
}"""
_WIDTH = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _shape(path: str) -> str:
    return _ID.sub("/<id>", path)


@pytest.fixture
def busy_clinic(clinic_admin, prescriber, nurse, front_desk, inventory_manager, researcher):
    """North Clinic with a patient whose chart, course and session have something on every page,
    long text and long names included."""
    from ketaclinic.patients import services

    version = testing.shipped_protocol(clinic_admin)
    patient = testing.patient_maker()(
        prescriber,
        mrn="SWEEP-1",
        given_name="Maximiliana-" + "Alexandrina" * 7,
        family_name="Vandenberghe-Oyelaran" + LONG_WORD[:78],
        notes=LONG_TEXT + " " + LONG_WORD,
    )
    testing.weigh(prescriber, patient)
    services.diagnosis_record(
        by=prescriber, patient=patient, icd10_code="F33.2", text=LONG_WORD[:200]
    )
    services.medication_record(
        by=prescriber, patient=patient, name="Sertraline", dose_text=LONG_WORD[:200]
    )
    testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version, patient=patient)
    return patient


def _page_for(browser: Browser, server_url: str, membership: Any) -> Page:
    """A page signed in as ``membership`` (the session cookie of a verified sign-in), with CSP
    bypassed only so that the test can inject axe-core."""
    from django.conf import settings
    from django.test import Client

    client = testing.sign_in(Client(), membership)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(
        base_url=server_url, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server_url}]
    )
    return context.new_page()


def _links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "els => els.map((a) => a.getAttribute('href'))"
    )
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.query:
            continue
        if not SKIP.search(parts.path):
            out.append(parts.path)
    return out


@pytest.mark.parametrize(
    "role", ["prescriber", "nurse", "front_desk", "inventory_manager", "researcher", "clinic_admin"]
)
def test_every_reachable_page_fits_every_width_and_passes_axe(
    role: str, request: pytest.FixtureRequest, browser: Browser, server_url: str, busy_clinic: Any
) -> None:
    if not AXE.exists():
        root.skip_or_fail("axe-core is not installed: run ./scripts/setup --dev (needs npm)")
    page = _page_for(browser, server_url, request.getfixturevalue(role))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems: list[str] = []
    queue, seen = ["/"], {"/"}
    visited = 0
    while queue and visited < MAX_SHAPES:
        path = queue.pop(0)
        visited += 1
        errors.clear()
        page.set_viewport_size({"width": 1280, "height": 900})
        response = page.goto(path)
        assert response is not None
        if response.status >= 400:  # a 500, or a link shown to a role that may not open it
            problems.append(f"{path}: {response.status}")
            continue
        page.add_script_tag(path=str(AXE))
        problems += [f"{path}: axe {v}" for v in page.evaluate(_AXE_RUN)]
        for width in reversed(WIDTHS):
            page.set_viewport_size({"width": width, "height": 900})
            over = int(page.evaluate(_WIDTH))
            if over > 0:
                problems.append(f"{path}: {over} px wider than the viewport at {width} px")
        problems += [f"{path}: axe at {WIDTHS[0]} px {v}" for v in page.evaluate(_AXE_SCROLL)]
        problems += [f"{path}: console error {e}" for e in errors]
        for link in _links(page):
            if _shape(link) not in {_shape(s) for s in seen}:
                seen.add(link)
                queue.append(link)
    assert not problems, f"{role} ({visited} pages):\n" + "\n".join(problems)
    assert visited > 1, f"{role}: the crawl found no page beyond home"


def test_the_crawl_treats_ids_as_one_shape() -> None:
    assert _shape("/patients/0b6f1c2e-1111-4222-8333-444455556666/") == "/patients/<id>/"
    assert _shape("/treatment/sessions/12/") == "/treatment/sessions/<id>/"
    assert SKIP.search("/account/logout/")
