"""The chair board's poll, rendered vs unchanged (204), in one process (issue 15).

Run: .venv/bin/python bench/board_poll.py [--polls 200] [--chairs 20]
     [--admin-url postgres://postgres@127.0.0.1:5432/postgres]

A scratch PostgreSQL database (dropped at the end) is migrated and seeded as bench/load.py seeds one
clinic (20 sessions checked in and dosed, with readings); the nurse's signed-in session polls
``/treatment/board/rows/`` through the whole middleware stack (Django's test client, in-process),
alternately without a version (a full render, as every poll did before) and with the version of
the last render (204). Load-independent figures: CPU ms per poll (time.process_time of this
process: the server's work, not the database's), SQL statements per poll and audit events written
per poll; the ratio unchanged/rendered is measured in the same run, interleaved.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=200, help="polls of each kind")
    parser.add_argument("--chairs", type=int, default=20, help="sessions on the board")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    import psycopg

    name = f"boardpoll_{os.getpid()}"
    admin = psycopg.connect(args.admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    var = Path(tempfile.mkdtemp(prefix="boardpoll-var-"))
    os.environ.update(
        DATABASE_URL=f"{args.admin_url.rsplit('/', 1)[0]}/{name}",
        DJANGO_SETTINGS_MODULE="ketaclinic.settings",
        KETACLINIC_SESSION_IDLE_SECONDS="3600",
        KETACLINIC_VAR_DIR=str(var),
        KETACLINIC_LOG_LEVEL="ERROR",
    )
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from ketaclinic.audit.models import AuditEvent

        call_command("migrate", verbosity=0)
        from load.seed import seed

        seeded = seed(clinics=1, chairs=args.chairs, links=0)
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = seeded.lua["clinics"][0]["nurse"]
        url = "/treatment/board/rows/"
        pattern = re.compile(r'data-board-version="([^"]+)"')

        def poll(version: str) -> tuple[float, int, int, int]:
            headers = {"HTTP_HX_REQUEST": "true"}
            if version:
                headers["HTTP_X_BOARD_VERSION"] = version
            events = AuditEvent.objects.count()
            with CaptureQueriesContext(connection) as captured:
                t0 = time.process_time()
                response = client.get(url, **headers)
                cpu = time.process_time() - t0
            nonlocal latest
            if response.status_code == 200:
                found = pattern.search(response.content.decode())
                latest = found.group(1) if found else ""
            written = AuditEvent.objects.count() - events
            return cpu, len(captured.captured_queries), written, response.status_code

        latest = ""
        for _ in range(10):  # warm both paths
            poll("")
            poll(latest)
        rendered: list[tuple[float, int, int, int]] = []
        unchanged: list[tuple[float, int, int, int]] = []
        for _ in range(args.polls):
            rendered.append(poll(""))
            unchanged.append(poll(latest))
        for label, rows in (("rendered (no version)", rendered), ("unchanged (204)", unchanged)):
            statuses = sorted({r[3] for r in rows})
            print(
                f"{label:<22} {len(rows)} polls, statuses {statuses}: "
                f"CPU {1000 * sum(r[0] for r in rows) / len(rows):.2f} ms/poll, "
                f"{sum(r[1] for r in rows) / len(rows):.1f} statements/poll, "
                f"{sum(r[2] for r in rows) / len(rows):.2f} audit events/poll"
            )
        ratio = sum(r[0] for r in unchanged) / sum(r[0] for r in rendered)
        print(f"ratio unchanged/rendered CPU: {ratio:.3f} ({args.chairs} sessions on the board)")
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        for f in sorted(var.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        var.rmdir()


if __name__ == "__main__":
    main()
