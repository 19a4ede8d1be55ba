"""`ketaclinic serve` starts the production server (gunicorn) and answers with the security headers."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_the_login_page_with_security_headers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "KETACLINIC_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
        [
            sys.executable,
            "-m",
            "ketaclinic",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/account/login/")
                response = conn.getresponse()
                body = response.read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert response is not None, "the server did not answer within 60 s"
        assert response.status == 200
        assert "Sign in" in body
        assert "no-store" in (response.getheader("Cache-Control") or "")
        assert "script-src 'self'" in (response.getheader("Content-Security-Policy") or "")
        assert response.getheader("X-Frame-Options") == "DENY"
    finally:
        server.terminate()
        server.wait(timeout=20)
