"""Two application servers (two `ketaclinic serve` processes on different ports) against one
PostgreSQL: a sign-in started on one is finished and used on the other, and a sign-out on either
ends it on both (issue 15: no state in a process)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from ketaclinic import testing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_hashing]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    cfg = connection.settings_dict
    auth = f"{cfg['USER']}:{cfg['PASSWORD']}@" if cfg.get("PASSWORD") else f"{cfg['USER']}@"
    return f"postgres://{auth}{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[str]]:
    if connection.vendor != "postgresql":
        pytest.skip("several servers share PostgreSQL; the suite's PostgreSQL run covers this")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KETACLINIC_VAR_DIR": str(tmp_path),
        "KETACLINIC_SECRET_KEY": "two-servers-test-secret-" + "x" * 40,
    }
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        argv = [sys.executable, "-m", "ketaclinic", "serve", "--port", str(port)]
        argv += ["--workers", "1", "--threads", "2"]
        procs.append(
            subprocess.Popen(  # noqa: S603  (this interpreter, fixed arguments)
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait_until_up(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/account/login/", timeout=5)  # noqa: S310  (local test server)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
            continue
        return
    pytest.fail(f"{url} did not start within 60 s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Cookies shared across both servers (cookies ignore the port), redirects not followed."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(url))  # noqa: S310  (http to a local server)

    def post(self, url: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))  # noqa: S310

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")

    def csrf(self, url: str) -> str:
        status, html, _ = self.get(url)
        assert status == 200, status
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert match, "no CSRF token on " + url
        return match.group(1)


def test_a_sign_in_started_on_one_server_continues_on_the_other(servers, nurse) -> None:
    a, b = servers
    browser = Browser()
    token = browser.csrf(a + "/account/login/")
    status, _, location = browser.post(
        a + "/account/login/",
        {
            "csrfmiddlewaretoken": token,
            "username": nurse.user.username,
            "password": testing.PASSWORD,
        },
    )
    assert status == 302, status
    # The other server knows the half-signed-in session (from the database): it asks for the
    # second factor, not for the password.
    status, _, location = browser.get(b + "/")
    assert status == 302 and "/account/login/verify/" in location, location
    token = browser.csrf(b + "/account/login/verify/")
    status, _, location = browser.post(
        b + "/account/login/verify/",
        {"csrfmiddlewaretoken": token, "token": testing.totp_code(nurse.user)},
    )
    assert status == 302, status
    for server in (a, b):
        status, html, _ = browser.get(server + "/")
        assert status == 200 and "/account/logout/" in html  # signed in, with its menu
    token = browser.csrf(a + "/")
    browser.post(b + "/account/logout/", {"csrfmiddlewaretoken": token})
    status, _, location = browser.get(a + "/")
    assert status == 302 and "/account/login/" in location
