"""A pytest plugin: no patient data, password, token or TOTP secret in any log line (issue 15).

Registered by the root ``conftest.py``. Every log record emitted anywhere during the run (each
xdist worker its own) goes through the project's scrubbing filter, as the configured handler
would write it, and its text is kept. What counts as a secret is gathered while the suite runs:

- after each test that used the database, from its rows before they are rolled back: patients'
  names, MRNs, e-mail addresses and phone numbers (every helper in ``ketaclinic.testing`` and
  every import creates them as rows), TOTP device keys (hex and base32), and the SHA-256 digests
  that self-report links and API tokens are stored as;
- every password passed to ``set_password`` (the synthetic ones of ``ketaclinic.testing``);
- patterns: ``Bearer <token>``, ``password=<value>`` not scrubbed, an API token ``kc_...``.

At the end of the run the kept text is searched once, and every hit fails the run as a report
named ``log-scan``, naming the logger and the kind of secret, never the secret itself.
Cost: one handler call per record, and a few short queries after each database test; with
``KETACLINIC_LOG_SCAN_STATS=<file>`` each process appends its counts and CPU seconds there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import pytest

MIN_LENGTH = 5  # shorter values ("Ana", "M01") would match ordinary words
_PATTERNS = {
    "a bearer token": re.compile(r"Bearer\s+(?!\[scrubbed\])[A-Za-z0-9._~+/-]{8,}"),
    "a password value": re.compile(r"(?i)password=(?!\[scrubbed\])\S+"),
    "an API token": re.compile(r"\bkc_[A-Za-z0-9_-]{16,}"),
}
_WORD = re.compile(r"[A-Za-z0-9_~+/=.@-]{16,}")
_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@dataclass
class Scan:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (logger, text)
    secrets: dict[str, str] = field(default_factory=dict)  # value -> kind
    cost: dict[str, float] = field(default_factory=lambda: {"emit": 0.0, "rows": 0.0, "scan": 0.0})
    digests: dict[str, str] = field(default_factory=dict)  # sha256 hex -> kind

    def add(self, value: object, kind: str) -> None:
        text = str(value or "").strip()
        if len(text) >= MIN_LENGTH:
            self.secrets.setdefault(text, kind)

    def leaks(self) -> list[str]:
        # One pass of each secret over all the text, then only the secrets found, line by line.
        everything = "\n".join(text for _, text in self.lines)
        present = {v: k for v, k in self.secrets.items() if v in everything}
        found: set[str] = set()
        for logger, text in self.lines:
            kinds = {kind for kind, rx in _PATTERNS.items() if rx.search(text)}
            kinds |= {k for v, k in present.items() if v in text}
            for word in _WORD.findall(text):
                kind = self.digests.get(hashlib.sha256(word.encode()).hexdigest())
                if kind:
                    kinds.add(kind)
            found |= {f"logger {logger!r} wrote {kind}" for kind in kinds}
        return sorted(found)


class _Capture(logging.Handler):
    def __init__(self, scan: Scan) -> None:
        super().__init__(level=logging.NOTSET)
        self.scan = scan
        from ketaclinic.core.logging import ScrubFilter

        self.addFilter(ScrubFilter())  # what the configured handler would write

    def emit(self, record: logging.LogRecord) -> None:
        started = time.process_time()
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        self.scan.lines.append((record.name, text))
        self.scan.cost["emit"] += time.process_time() - started


def _collect_rows(scan: Scan) -> None:
    from django.db import transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.api.models import ApiToken
    from ketaclinic.patients.models import Patient
    from ketaclinic.scales.models import SelfReportLink

    fields = ("given_name", "family_name", "preferred_name", "mrn", "email", "phone")
    with transaction.atomic():
        for row in Patient.objects.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                scan.add(value, f"a patient's {name.replace('_', ' ')}")
        for key in TOTPDevice.objects.values_list("key", flat=True):
            scan.add(key, "a TOTP secret")
            scan.add(base64.b32encode(bytes.fromhex(key)).decode(), "a TOTP secret")
        for digest in SelfReportLink.objects.values_list("token_hash", flat=True):
            scan.digests[digest] = "a self-report link token"
        for digest in ApiToken.objects.values_list("secret_hash", flat=True):
            scan.digests[digest] = "an API token secret"


class LogScanPlugin:
    def __init__(self) -> None:
        self.scan = Scan()
        self.handler: _Capture | None = None
        self.session: pytest.Session | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        import django
        from django.contrib.auth.base_user import AbstractBaseUser

        self.session = session
        django.setup()  # pytest-django has configured settings by now
        self.handler = _Capture(self.scan)
        logging.getLogger().addHandler(self.handler)
        original = AbstractBaseUser.set_password
        scan = self.scan

        def set_password(self: AbstractBaseUser, raw_password: str | None) -> None:
            scan.add(raw_password, "a password")
            original(self, raw_password)

        AbstractBaseUser.set_password = set_password  # type: ignore[method-assign]  # observes, then calls the original

    def _attached(self) -> None:
        """Back on the root logger if a ``django.setup()`` in a test re-ran the logging
        configuration (dictConfig replaces the root's handlers)."""
        root = logging.getLogger()
        if self.handler is not None and self.handler not in root.handlers:
            root.addHandler(self.handler)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._attached()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        try:
            return (yield)
        finally:
            self._attached()
            uses_db = _DB_FIXTURES & set(getattr(item, "fixturenames", ()))
            if uses_db or item.get_closest_marker("django_db"):
                started = time.process_time()
                try:
                    _collect_rows(self.scan)
                except Exception:  # noqa: S110 - a test that broke its transaction
                    pass
                self.scan.cost["rows"] += time.process_time() - started

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, Any, Any]:
        result = yield
        if self.handler is not None:
            logging.getLogger().removeHandler(self.handler)
        started = time.process_time()
        leaks = self.scan.leaks()
        self.scan.cost["scan"] = time.process_time() - started
        stats = os.environ.get("KETACLINIC_LOG_SCAN_STATS")  # a file: one line per process
        if stats:
            with open(stats, "a") as f:
                line = {"records": len(self.scan.lines), "secrets": len(self.scan.secrets)}
                f.write(json.dumps({**line, **self.scan.cost}) + "\n")
        if hasattr(session.config, "workerinput"):  # an xdist worker: the controller reports
            session.config.workeroutput["log_scan_leaks"] = leaks  # type: ignore[attr-defined]
        elif leaks:
            _fail(session, "log-scan", leaks)
        return result

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """On the xdist controller: a worker's leaks, as one failed report per worker."""
        leaks = getattr(node, "workeroutput", {}).get("log_scan_leaks") or []
        if leaks and self.session is not None:
            _fail(self.session, f"log-scan[{node.gateway.id}]", leaks)


def _fail(session: pytest.Session, nodeid: str, leaks: list[str]) -> None:
    from _pytest.reports import TestReport

    report = TestReport(
        nodeid=nodeid,
        location=("tests/log_scan.py", 0, nodeid),
        keywords={},
        outcome="failed",
        longrepr="secrets in log lines (the kind of secret, never the value):\n" + "\n".join(leaks),
        when="call",
    )
    session.config.hook.pytest_runtest_logreport(report=report)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("log-scan-instance"):
        config.pluginmanager.register(LogScanPlugin(), "log-scan-instance")
