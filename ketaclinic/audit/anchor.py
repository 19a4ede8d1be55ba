"""Append the current chain heads to an append-only anchor file (and to syslog when configured).

Used by ``ketaclinic audit anchor --file PATH`` and by the worker's hourly anchoring job
(``ketaclinic.ops.jobs``). Appending twice is harmless: every line is a true head at its time."""

from __future__ import annotations

import logging.handlers
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ketaclinic.audit.chain import format_anchor
from ketaclinic.audit.verify import current_anchors


def _syslog_handler(address: str) -> logging.handlers.SysLogHandler:
    """``/dev/log`` (a socket path) or ``host:port`` (UDP)."""
    if address.startswith("/"):
        return logging.handlers.SysLogHandler(address=address)
    host, _, port = address.rpartition(":")
    return logging.handlers.SysLogHandler(address=(host or address, int(port or 514)))


def anchor_append(path: Path) -> list[str]:
    """Append one line per chain head to ``path`` (fsynced) and return the lines."""
    lines = [format_anchor(a) for a in current_anchors(timezone.now().isoformat())]
    text = "".join(f"{line}\n" for line in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: every write lands at the end even if another writer appends at the same time.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    address = str(getattr(settings, "AUDIT_ANCHOR_SYSLOG", "") or "")
    if address:
        handler = _syslog_handler(address)
        try:
            for line in lines:
                handler.emit(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
        finally:
            handler.close()
    return lines
