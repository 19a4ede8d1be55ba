"""The self-report page's per-address limit is counted in the database (issue 15: several
application servers share one PostgreSQL, so no count may live in a process)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ketaclinic.lib.ratelimit import counter_key, window_hit, window_start
from ketaclinic.ops import jobs
from ketaclinic.ops.models import JobRun, WindowCount
from ketaclinic.scales.services import PUBLIC_LIMIT_PER_IP, PUBLIC_WINDOW

URL = "/scales/r/not-a-real-token/"
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_the_limit_is_one_row_per_client_and_window_holding_no_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [client.get(URL).status_code for _ in range(PUBLIC_LIMIT_PER_IP + 2)]
    assert statuses[:PUBLIC_LIMIT_PER_IP] == [404] * PUBLIC_LIMIT_PER_IP
    assert statuses[PUBLIC_LIMIT_PER_IP:] == [429, 429]
    row = WindowCount.objects.get()
    assert row.count == PUBLIC_LIMIT_PER_IP + 2
    assert "203.0.113.50" not in row.key and len(row.key) == 64


@pytest.mark.django_db
def test_a_count_kept_by_another_server_refuses_the_client_here() -> None:
    """Another server's requests are rows in the shared table: this process never saw them."""
    seconds = int(PUBLIC_WINDOW.total_seconds())
    WindowCount.objects.create(
        key=counter_key("self-report", "203.0.113.51"),
        window_start=window_start(timezone.now(), seconds),
        count=PUBLIC_LIMIT_PER_IP,
    )
    assert Client(REMOTE_ADDR="203.0.113.51").get(URL).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.52").get(URL).status_code == 404


@pytest.mark.django_db
def test_the_daily_prune_removes_counters_of_past_windows_only() -> None:
    now = timezone.now()
    three_hours_ago = window_start(now - dt.timedelta(hours=3), 600)
    WindowCount.objects.create(key="a" * 64, window_start=three_hours_ago, count=5)
    current = WindowCount.objects.create(key="b" * 64, window_start=window_start(now, 600))
    run = JobRun(job="prune_form_tokens", period="2026-12-01")
    summary = jobs._prune_form_tokens(run)
    assert list(WindowCount.objects.all()) == [current]
    assert "1 old rate-limit counter(s) pruned" in summary


_HAMMER = """
import json, sys, datetime as dt, psycopg
from ketaclinic.lib.ratelimit import window_hit
url, n, limit, when = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
now = dt.datetime.fromisoformat(when)
allowed = 0
with psycopg.connect(url, autocommit=True) as conn:
    for _ in range(n):
        with conn.cursor() as cur:
            allowed += window_hit(cur, scope="self-report", client="203.0.113.60", limit=limit,
                                  window_seconds=600, now=now)
print(json.dumps(allowed))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_counting_one_client_at_once_allow_the_limit_in_total() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several servers share PostgreSQL; the suite's PostgreSQL run covers this")
    cfg = connection.settings_dict
    auth = f"{cfg['USER']}:{cfg['PASSWORD']}@" if cfg.get("PASSWORD") else f"{cfg['USER']}@"
    url = f"postgres://{auth}{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    when = timezone.now().isoformat()
    argv = [sys.executable, "-c", _HAMMER, url, "150", str(PUBLIC_LIMIT_PER_IP), when]
    procs = [
        subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]
    allowed = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    # Each process alone would have allowed 60 (as the in-process counter did); together, 60.
    assert sum(allowed) == PUBLIC_LIMIT_PER_IP
    assert WindowCount.objects.get().count == 300


@pytest.mark.django_db
def test_the_upsert_counts_from_one_in_each_new_window() -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        hits = [
            window_hit(cursor, scope="t", client="c", limit=2, window_seconds=600, now=now)
            for _ in range(3)
        ]
        later = now + dt.timedelta(seconds=600)
        fresh = window_hit(cursor, scope="t", client="c", limit=2, window_seconds=600, now=later)
    assert hits == [True, True, False] and fresh
