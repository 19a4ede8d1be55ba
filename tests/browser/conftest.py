"""Browser suite: Playwright for Python driving Debian's Chromium against pytest-django's live_server.

Browser downloads are impossible here, so the browser is the ``chromium`` package on PATH (never
``playwright install``). Without it the suite is skipped, or fails under KETACLINIC_REQUIRE_ALL_TESTS=1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

import conftest as root
from ketaclinic import testing

BROWSER_DIR = Path(__file__).parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# expect() waits up to this long for a condition; a generous ceiling, not a timing assertion.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser suite last. Playwright's event loop lives until the session ends, and the
    async-unsafe switch below must not leak into other tests (nor into the subprocesses they start,
    such as ``check --deploy``, which rightly refuses it)."""
    in_browser_dir = [BROWSER_DIR in Path(item.path).parents for item in items]
    items[:] = [i for i, b in zip(items, in_browser_dir, strict=True) if not b] + [
        i for i, b in zip(items, in_browser_dir, strict=True) if b
    ]


@pytest.fixture(scope="session", autouse=True)
def _allow_async_unsafe() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread; Django's ORM calls from
    the test (fixtures, database assertions) would otherwise be refused as "async unsafe"."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = shutil.which("chromium")
    if executable is None:
        root.skip_or_fail("Debian's chromium is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def server_url(live_server: Any, transactional_db: None) -> str:
    """The live server's root URL; requesting it gives the test a real, committed database."""
    return str(live_server.url)


@pytest.fixture
def new_page(browser: Browser, server_url: str) -> Iterator[Callable[..., Page]]:
    """Pages in separate browser contexts (separate cookie jars): one per signed-in person."""
    contexts: list[BrowserContext] = []

    def _new_page(**context_args: Any) -> Page:
        context = browser.new_context(base_url=server_url, **context_args)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def sign_in_through_ui(page: Page, membership: Any) -> Page:
    """Sign in as a person does: username and password, then the current TOTP code."""
    user = membership.user
    page.goto("/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(testing.PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url("/account/login/verify/")
    page.get_by_label("6-digit code").fill(testing.totp_code(user))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Today at {membership.clinic.name}")
    return page


def field_group(page: Page, label: str) -> Locator:
    """The wrapper of one form field (label, help text, errors, input): where its error must appear."""
    return page.locator(".field").filter(has=page.get_by_label(label))
