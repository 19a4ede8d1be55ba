"""Load test: a clinic-network day at 100 times its realistic load, on PostgreSQL (issue 15).

Run: .venv/bin/python bench/load.py          (one command, about 3 minutes, sensible defaults)
     [--scale 100] [--seconds 90] [--saturate-seconds 30] [--clinics 4] [--workers 2 --threads 8]

The day of one clinic (an estimate, stated so it can be replaced by a measured one):

- 20 chairs, 10 sessions a chair a day (the brief's 8-12) over a 12-hour day: 200 sessions.
- Vitals: one round every 10 minutes (5-15) over 2 hours of monitoring: 12 rounds a session, each
  round 4 readings posted one by one (the chair's htmx form: blood pressure counted as one, heart
  rate, SpO2, respiratory rate): 200 x 12 x 4 = 9,600 POSTs, 0.222/s over 12 h.
- Chair board: 4 nurse stations (one per 5 chairs) each poll the board's rows every 10 s (the page
  polls every 15 s today; 10 s is the brief's, 1.5x conservative): 0.4/s.
- Chart views by staff: 10 per session (prescriber's review, nurse at the chair, sign-off; half the
  patient chart, half the session page): 2,000 a day, 0.046/s.
- Scale submissions by patients: one self-report (PHQ-9) a session, opened then submitted from the
  patient's phone: 200 page views and 200 submissions a day, 0.0046/s each.
- Exports: 2 de-identified exports a day (a researcher's, through the API), in the background.

One clinic: ~0.68 requests/s. At --scale 100 (100 clinics' day on one server): ~68 requests/s
(board 59 %, vitals 33 %, charts 7 %, scales 1.4 %) and an export every ~3.6 minutes (at least one
is started in every run). The requests are spread over --clinics seeded clinics (4 by default,
each carrying scale/clinics times a clinic's load: per-clinic audit chains and rows contend
--scale/--clinics times harder than in a real network, so this errs on the slow side).

How: a scratch database loadtest_<pid> on --admin-url (dropped at the end) is migrated and seeded
(per clinic: 20 patients with a weight and two past PHQ-9s, 20 esketamine sessions checked in and
dosed so every reading runs the alert rules, nurses, a prescriber, a researcher with an API token,
single-use self-report links); ``ketaclinic serve`` (gunicorn) serves it; Debian's compiled ``wrk``
drives it (bench/load/mix.lua: 16 connections, each request drawn by weight, exponential gaps for
the target rate; a board poll sends the version of the connection's last board rows of that
clinic, as htmx does, and a 204 (unchanged) counts as success); a Python thread posts the exports.
Phase 1 runs at the target rate for --seconds; phase 2 (--saturate-seconds) drops the gaps to
find the throughput ceiling with the same mix. Reported per request type and overall: p50/p95/p99, errors, throughput; the server's and
the database backends' CPU ms per request and commits per request (load-independent); the load
average; the raw INSERT baseline of the same run and the ratio. Rows and the audit chain are
verified afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load.day import DAY_PER_CLINIC, DAY_SECONDS, EXPORTS_PER_CLINIC_DAY, summarise  # noqa: E402
from load.seed import seed  # noqa: E402
from load.stats import cpu_seconds, db_counters  # noqa: E402
from vitals_write import raw_insert_rate  # noqa: E402  (the same baseline as the vitals bench)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_value(k)}] = {lua_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def csrf_pair(port: int) -> tuple[str, str]:
    """An anonymous CSRF cookie and a form token that goes with it (the login page's)."""
    from django.conf import settings

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/account/login/", timeout=30) as page:
        body = page.read().decode()
        cookies = page.headers.get_all("Set-Cookie") or []
    name = settings.CSRF_COOKIE_NAME
    cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith(name + "="))
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert match is not None
    return cookie, match.group(1)


def run_wrk(
    port: int, data: dict[str, Any], seconds: float, connections: int, wrk_cpus: str
) -> tuple[list[tuple[str, int, int]], int, float]:
    """Runs wrk; returns (type, status, latency us) per response, socket errors and seconds."""
    from django.conf import settings

    folder = Path(tempfile.mkdtemp(prefix="loadtest-"))
    data = {**data, "out_prefix": str(folder / "t"), "threads": connections}
    data["session_cookie"] = settings.SESSION_COOKIE_NAME
    (folder / "data.lua").write_text("return " + lua_value(data) + "\n")
    command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:.0f}s"]
    command += ["--timeout", "30s", "-s", str(ROOT / "bench" / "load" / "mix.lua")]
    if wrk_cpus:
        command = ["taskset", "-c", wrk_cpus, *command]
    env = {**os.environ, "LOADTEST_DATA": str(folder / "data.lua")}
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [*command, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, env=env, check=True
    ).stdout
    rows = []
    for f in sorted(folder.glob("t*.log")):
        for line in f.read_text().splitlines():
            kind, status, us = line.split()
            rows.append((kind, int(status), int(float(us))))
    errors = 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if match:
        errors = sum(int(x) for x in match.groups())
    took = re.search(r"requests in ([\d.]+)(m?s)", out)
    secs = seconds
    if took:
        secs = float(took.group(1)) * (60 if took.group(2) == "m" else 1)
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    return rows, errors, secs


class Exports(threading.Thread):
    """Posts de-identified exports through the API every ``interval`` s, the first after 5 s."""

    def __init__(self, port: int, tokens: list[str], interval: float) -> None:
        super().__init__(daemon=True)
        self.port, self.tokens, self.interval = port, tokens, interval
        self.stop = threading.Event()
        self.results: list[tuple[int, float]] = []

    def run(self) -> None:
        wait, n = 5.0, 0
        while not self.stop.wait(wait):
            token = self.tokens[n % len(self.tokens)]
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}/api/v1/exports",
                data=b'{"kind": "csv"}',
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            self.results.append((status, time.perf_counter() - t0))
            n += 1
            wait = self.interval


def server_pids(root_pid: int) -> list[int]:
    """gunicorn's master and its workers (its children)."""
    try:
        children = Path(f"/proc/{root_pid}/task/{root_pid}/children").read_text().split()
    except OSError:
        children = []
    return [root_pid, *(int(p) for p in children)]


def phase(  # noqa: PLR0917 - one call site per phase
    name: str, port: int, data: dict[str, Any], seconds: float, args: Any, server: Any, dsn: str
) -> dict[str, Any]:
    pids = server_pids(server.pid)
    cpu0, db0 = cpu_seconds(pids), db_counters(dsn)
    loads: list[float] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(5):
            loads.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows, socket_errors, secs = run_wrk(port, data, seconds, args.connections, args.wrk_cpus)
    sampling.set()
    cpu1, db1 = cpu_seconds(server_pids(server.pid)), db_counters(dsn)
    result = summarise(rows, secs, socket_errors)
    n = max(1, len(rows))
    result.update(
        name=name,
        server_cpu_ms=(cpu1 - cpu0) * 1000 / n,
        db_cpu_ms=(db1["cpu"] - db0["cpu"]) * 1000 / n,
        commits=(db1["commits"] - db0["commits"]) / n,
        load=(min(loads, default=0), max(loads, default=0)),
    )
    return result


def print_phase(r: dict[str, Any], target: float) -> None:
    print(
        f"\n== {r['name']}: {r['seconds']:.0f} s, target {target:.1f} req/s"
        if target
        else f"\n== {r['name']}: {r['seconds']:.0f} s, no gaps (as fast as the server answers)"
    )
    print(
        f"{'request':<14}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}"
    )
    for kind, s in r["types"].items():
        print(
            f"{kind:<14}{s['count']:>7}{s['rate']:>8.1f}{s['p50']:>9.1f}{s['p95']:>9.1f}"
            f"{s['p99']:>9.1f}{s['errors']:>8}  {s['statuses']}"
        )
    board = r["types"].get("board")
    if board:
        unchanged = board["statuses"].get(204, 0)
        print(
            f"board polls answered 204 (unchanged, not re-rendered): {unchanged} of "
            f"{board['count']} = {100 * unchanged / board['count']:.1f} %"
        )
    print(f"socket errors: {r['socket_errors']}; error rate {r['error_rate'] * 100:.2f} %")
    print(
        f"server CPU {r['server_cpu_ms']:.1f} ms/request, PostgreSQL backends CPU "
        f"{r['db_cpu_ms']:.1f} ms/request, {r['commits']:.2f} commits/request; load average "
        f"{r['load'][0]:.1f}-{r['load'][1]:.1f} during the phase"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=100.0, help="times one clinic's day")
    parser.add_argument("--seconds", type=float, default=90.0, help="phase 1, at the target rate")
    parser.add_argument("--saturate-seconds", type=float, default=30.0, help="phase 2; 0: skip")
    parser.add_argument("--clinics", type=int, default=4, help="seeded clinics")
    parser.add_argument("--chairs", type=int, default=20, help="sessions in progress per clinic")
    parser.add_argument("--connections", type=int, default=16, help="wrk threads = connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--wrk-cpus", default="", help="taskset CPU list for wrk (e.g. 1)")
    args = parser.parse_args()

    rates = {k: v * args.scale for k, v in DAY_PER_CLINIC.items()}
    target = sum(rates.values())
    # Enough unused links for each phase (phase 2 gets the same number as phase 1).
    links_needed = 2 * (int(rates["scale_page"] * args.seconds * 1.5) + 40)
    name = f"loadtest_{os.getpid()}"
    base = args.admin_url.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    import psycopg

    admin = psycopg.connect(args.admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    var = Path(tempfile.mkdtemp(prefix="loadtest-var-"))
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
        "KETACLINIC_SESSION_IDLE_SECONDS": "3600",
        "KETACLINIC_VAR_DIR": str(var),
        "KETACLINIC_CLIENT_IP_HEADER": "X-Forwarded-For",  # patients' phones behind the proxy
        "KETACLINIC_LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    server = None
    try:
        t0 = time.perf_counter()
        ketaclinic = str(ROOT / ".venv" / "bin" / "ketaclinic")
        subprocess.run([ketaclinic, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
        t1 = time.perf_counter()
        seeded = seed(clinics=args.clinics, chairs=args.chairs, links=links_needed)
        print(
            f"migrated in {t1 - t0:.0f} s; seeded {args.clinics} clinics x {args.chairs} sessions "
            f"in {time.perf_counter() - t1:.0f} s",
            flush=True,
        )
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [
                ketaclinic,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        cookie, token = csrf_pair(port)
        data = {**seeded.lua, "csrf_cookie": cookie, "csrf_token": token}
        weights = [[k, v] for k, v in rates.items() if k != "scale_submit"]
        data["weights"] = weights
        data["total_weight"] = sum(w for _, w in weights)
        # Each scale page view brings its submission: the draw rate of the pair is the page's.
        data["mean_delay_ms"] = 1000.0 * args.connections / target
        interval = DAY_SECONDS / (EXPORTS_PER_CLINIC_DAY * args.scale)
        exports = Exports(port, seeded.api_tokens, interval)
        exports.start()
        links = data.pop("links")
        half = len(links) // 2 if args.saturate_seconds else len(links)
        data.update(run="p1", links=links[:half])  # each phase its own unused links and tokens
        results = [phase("phase 1: target rate", port, data, args.seconds, args, server, dsn)]
        if args.saturate_seconds:
            data.update(run="p2", links=links[half:], mean_delay_ms=0)
            results.append(
                phase("phase 2: saturation", port, data, args.saturate_seconds, args, server, dsn)
            )
        exports.stop.set()
        exports.join(timeout=600)

        import django

        django.setup()
        from ketaclinic.audit.verify import audit_chain_verify
        from ketaclinic.treatment.models import Observation

        chain_ok = audit_chain_verify().ok
        raw_1 = raw_insert_rate(dsn, 1, 5.0)
        raw_n = raw_insert_rate(dsn, args.connections, 5.0)
        print(
            f"\nmachine: {platform.machine()}, {os.cpu_count()} CPUs, "
            f"{platform.processor() or platform.node()}, Python {platform.python_version()}; "
            f"server {args.workers} workers x {args.threads} threads; wrk {args.connections} "
            f"connections{' on CPUs ' + args.wrk_cpus if args.wrk_cpus else ''}"
        )
        print(
            f"day model x {args.scale:g}: target {target:.1f} req/s "
            + ", ".join(f"{k} {v:.2f}/s" for k, v in rates.items())
        )
        for r in results:
            print_phase(r, target if r["name"].startswith("phase 1") else 0)
        print(
            f"\nexports (background, every {interval:.0f} s): "
            + (", ".join(f"{s} in {t:.1f} s" for s, t in exports.results) or "none finished")
        )
        vitals_ok = sum(r["types"].get("vitals", {}).get("ok", 0) for r in results)
        rows = Observation.objects.filter(recorded_at__gte=seeded.started).count()
        print(
            f"vitals acknowledged {vitals_ok}, observation rows written since the seed {rows}; "
            f"audit chains verify: {chain_ok}"
        )
        best = max(r["throughput"] for r in results)
        print(
            f"baseline raw single-row INSERT (autocommit), same run: 1 connection {raw_1:.0f}/s, "
            f"{args.connections} connections {raw_n:.0f}/s; best web throughput {best:.1f} req/s "
            f"= {best / raw_n:.3f} of the {args.connections}-connection INSERT rate"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        for f in sorted(var.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        var.rmdir()


if __name__ == "__main__":
    main()
