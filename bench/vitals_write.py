"""Benchmark: vital signs recorded through the web endpoint by 16 concurrent clients (issue 4).
Run: .venv/bin/python bench/vitals_write.py [--clients 16] [--seconds 20] [--workers 2] [--threads 8]
1. Creates a scratch PostgreSQL database (``ketaclinic_bench_<pid>`` on 127.0.0.1:5432, user
   postgres, or --admin-url) and migrates it; drops it at the end.
2. Seeds one clinic, 16 nurses (each with a confirmed TOTP device) and 16 esketamine sessions
   at 16 chairs, checked in, checklist done, dosed: each reading is a post-dose reading, so the
   alert rules run on every write. The audit chain is on (it always is): every reading appends
   one hash-chained AuditEvent under the chain-head lock, in the same transaction.
3. Serves the app with ``ketaclinic serve`` (gunicorn) on a free port of 127.0.0.1.
4. Signs each client in through server-side sessions made the way the real login leaves them
   (password step + verified TOTP device + auth time + active clinic), then fetches the session
   page once for its CSRF token.
5. Each client (wrk; --load python: threads) POSTs heart-rate readings (htmx, 201 + the row)
   to its chair's session as fast as it can for --seconds. Prints readings/s, p50/p95/p99, the
   CPU each reading cost the server, PostgreSQL's backends and wrk (from /proc), the raw
   single-row INSERT baseline (1 and --clients connections) and whether the audit chain verifies.

``--in-process N`` serves nothing: it POSTs N readings through ``django.test.Client`` and prints
CPU ms (``time.process_time``), PostgreSQL backend CPU ms and SQL statements per reading, and the
garbage collector's share; ``--profile FILE`` adds a CPU-time cProfile; ``--callgrind``, under
``valgrind --tool=callgrind --instr-atstart=no``, counts instructions of the N readings only.
The server's stderr goes to ``$TMPDIR/ketaclinic_bench_<pid>.log``.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import os
import platform
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

CHILDREN = resource.RUSAGE_CHILDREN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from load.stats import cpu_seconds, db_counters  # noqa: E402  (CPU seconds from /proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_children(pid: int) -> list[int]:
    """The gunicorn workers (children of the master process)."""
    return [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read().split()]


def callgrind_switch(state: str) -> None:
    """Instrumentation on or off for this process (run under callgrind --instr-atstart=no)."""
    command = ["callgrind_control", "-i", state, str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - fixed arguments


def admin_connect(admin_url: str) -> Any:
    import psycopg

    return psycopg.connect(admin_url, autocommit=True)


def seed(clients: int) -> tuple[list[str], list[int]]:
    """Clinic, nurses, sessions; returns the session cookies and treatment session ids."""
    import datetime as dt
    from decimal import Decimal

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic import testing
    from ketaclinic.accounts.middleware import AUTH_TIME_KEY, CLINIC_KEY
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.sessions import SessionStore
    from ketaclinic.treatment import services

    password = "bench-Harbour-lighthouse-2026"  # noqa: S105 - scratch database only
    clinic = testing.make_clinic("bench", "Bench Clinic", "UTC")

    def member(username: str, role: Role) -> Any:
        return testing.make_member(
            clinic, username, role, password=password, first_name="B", last_name=username
        )

    admin = member("bench-admin", Role.CLINIC_ADMIN)
    prescriber = member("bench-prescriber", Role.PRESCRIBER)
    version = testing.shipped_protocol(admin, "esketamine_trd")
    make_patient = testing.patient_maker()
    now = timezone.now()
    cookies: list[str] = []
    session_ids: list[int] = []
    for i in range(clients):
        nurse = member(f"bench-nurse-{i}", Role.NURSE)
        patient = make_patient(
            prescriber,
            mrn=f"B{i:03d}",
            given_name="Chair",
            family_name=f"Patient{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        testing.weigh(prescriber, patient, "70", days_ago=1)
        # Checked in, checklist recorded 20 minutes ago (BP 124/78), then dosed 10 minutes ago.
        s = testing.checked_in_session(
            nurse=nurse,
            prescriber=prescriber,
            version=version,
            patient=patient,
            systolic=124,
            diastolic=78,
            vitals_minutes_ago=20,
            chair=f"Chair {i + 1}",
            decision_note="bench",
        )
        services.dose_record(
            by=nurse,
            session=s,
            dose_mg=Decimal("56"),
            product="SPRAVATO",
            lot_number="BENCH",
            expiry_date=(now + dt.timedelta(days=300)).date(),
            device_times=[now - dt.timedelta(minutes=10), now - dt.timedelta(minutes=5)],
        )
        store = SessionStore()
        store[SESSION_KEY] = str(nurse.user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = nurse.user.get_session_auth_hash()
        store[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=nurse.user).persistent_id
        store[AUTH_TIME_KEY] = time.time()
        store[CLINIC_KEY] = clinic.pk
        store.set_expiry(3600)
        store.create()
        cookies.append(str(store.session_key))
        session_ids.append(s.pk)
    return cookies, session_ids


def handshake(port: int, cookie: str, session_id: int) -> tuple[str, str] | None:
    """GET the session page once: the form's CSRF token and the CSRF cookie, or None."""
    from django.conf import settings

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Host": "127.0.0.1"}
    conn.request("GET", f"/treatment/sessions/{session_id}/", headers=headers)
    page = conn.getresponse()
    body = page.read().decode()
    conn.close()
    csrf_cookie = ""
    for name, value in page.getheaders():
        if name.lower() == "set-cookie" and "csrftoken=" in value:
            csrf_cookie = value.split("csrftoken=", 1)[1].split(";", 1)[0]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if page.status != 200 or match is None or not csrf_cookie:
        return None
    return match.group(1), csrf_cookie


WRK_SCRIPT = """
local clients = {%s}
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) me = clients[id + 1]; n = 0 end
function request()
  n = n + 1
  local body = "csrfmiddlewaretoken=" .. me[3] .. "&code=heart_rate&value=" .. (70 + n %% 10)
    .. "&form_token=" .. string.format("wrk%%03dx%%012d", id, n)
  return wrk.format("POST", me[1], {["Cookie"] = me[2],
    ["Content-Type"] = "application/x-www-form-urlencoded", ["HX-Request"] = "true",
    ["Referer"] = "http://127.0.0.1" .. me[1], ["Host"] = "127.0.0.1"}, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


def wrk_run(
    port: int, cookies: list[str], session_ids: list[int], seconds: float, wrk_cpus: str
) -> tuple[int, int, float, float, float, float, float]:
    """The load from wrk (compiled, one connection per thread): requests, errors, seconds,
    p50, p95, p99 and mean latency in ms, as wrk measured them."""

    from django.conf import settings

    entries = []
    for cookie, sid in zip(cookies, session_ids, strict=True):
        got = handshake(port, cookie, sid)
        if got is None:
            raise SystemExit(f"session page {sid}: no CSRF token")
        token, csrf_cookie = got
        jar = f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf_cookie}"
        entries.append(f'{{"/treatment/sessions/{sid}/observation/", "{jar}", "{token}"}}')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % ", ".join(entries))
        script = f.name
    n = len(cookies)
    command = ["wrk", "-t", str(n), "-c", str(n), "-d", f"{seconds:.0f}s", "-s", script]
    if wrk_cpus:
        command = ["taskset", "-c", wrk_cpus, *command]
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [*command, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(script)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    r, e, us, p50, p95, p99, mean = line.split()[1:]
    return int(r), int(e), int(us) / 1e6, float(p50), float(p95), float(p99), float(mean)


def client_run(  # noqa: PLR0917 - a thread target, called in one place
    port: int,
    cookie: str,
    session_id: int,
    deadline: list[float],
    latencies: list[float],
    errors: list[str],
    start_gate: threading.Barrier,
) -> None:
    from django.conf import settings

    cookie_name = settings.SESSION_COOKIE_NAME
    got = handshake(port, cookie, session_id)
    if got is None:
        errors.append("session page: no CSRF token")
        start_gate.abort()
        return
    token, csrf_cookie = got
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    post_headers = {
        "Cookie": f"{cookie_name}={cookie}; csrftoken={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "Referer": f"http://127.0.0.1:{port}/treatment/sessions/{session_id}/",
        "Host": "127.0.0.1",
    }
    start_gate.wait()
    n = 0
    while time.perf_counter() < deadline[0]:
        # A fresh one-time form token per reading, as each rendering of the form carries one
        # (ops.idempotency): without it, equal readings within seconds count as a double submit.
        form_token = f"bench{session_id}x{n:012d}"
        body_out = (
            f"csrfmiddlewaretoken={token}&code=heart_rate&value={70 + n % 10}"
            f"&form_token={form_token}"
        )
        t0 = time.perf_counter()
        conn.request(
            "POST", f"/treatment/sessions/{session_id}/observation/", body_out, post_headers
        )
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - t0
        if response.status != 201:
            errors.append(f"POST {response.status}")
            if len(errors) > 20:
                return
        else:
            latencies.append(elapsed)
        n += 1
    conn.close()


def raw_insert_rate(dsn: str, connections: int, seconds: float) -> float:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id bigserial primary key, "
            "session_id bigint, code text, value int, measured_at timestamptz)"
        )
    counts = [0] * connections

    def run(i: int, deadline: float) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                conn.execute(
                    "INSERT INTO bench_raw (session_id, code, value, measured_at) "
                    "VALUES (%s, 'heart_rate', 70, now())",
                    (i,),
                )
                counts[i] += 1

    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=run, args=(i, deadline)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def in_process(
    cookies: list[str], session_ids: list[int], n: int, profile: str, callgrind: bool = False
) -> None:
    """N readings through django.test.Client (CSRF enforced, htmx), round robin over the seeded
    sessions: CPU ms per reading (time.process_time of this process, which runs Django and the
    client; PostgreSQL's own CPU is not counted) and queries per reading."""
    import cProfile

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    clients = []
    for cookie, sid in zip(cookies, session_ids, strict=True):
        c = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        c.cookies[settings.SESSION_COOKIE_NAME] = cookie
        page = c.get(f"/treatment/sessions/{sid}/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        if page.status_code != 200 or match is None:
            raise SystemExit(f"session page {sid}: {page.status_code}")
        clients.append((c, sid, match.group(1)))

    def post(i: int) -> int:
        c, sid, token = clients[i % len(clients)]
        # URL-encoded, as a browser's htmx form and wrk send it (the test client's default,
        # multipart, costs about 1 ms more to parse).
        body = (
            f"csrfmiddlewaretoken={token}&code=heart_rate&value={70 + i % 10}"
            f"&form_token=inproc{sid}x{i:012d}"
        )
        response = c.post(
            f"/treatment/sessions/{sid}/observation/",
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_HX_REQUEST="true",
            HTTP_REFERER=f"http://127.0.0.1/treatment/sessions/{sid}/",
        )
        return int(response.status_code)

    for i in range(len(clients) * 2):  # warm up: imports, template and URL caches, connection
        post(10**6 + i)
    queries: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        status = post(2 * 10**6)
    if status != 201:
        raise SystemExit(f"POST answered {status}")
    # CPU time, not wall time: waits for PostgreSQL (and for the other processes of a shared
    # machine) would otherwise dominate the profile.
    profiler = cProfile.Profile(time.process_time) if profile else None
    if os.environ.get("BENCH_GC_FREEZE") == "1":  # as `ketaclinic serve` does after loading
        gc.collect()
        gc.freeze()
    gc_cpu, gc_started = [0.0, 0], [0.0]

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.process_time()
        else:
            gc_cpu[0] += time.process_time() - gc_started[0]
            gc_cpu[1] += info["generation"] == 2

    gc.callbacks.append(gc_timer)
    backend = [connection.connection.info.backend_pid]  # this process's PostgreSQL backend
    wall, cpu, pg = time.perf_counter(), time.process_time(), cpu_seconds(backend)
    if callgrind:  # this process runs under valgrind --tool=callgrind --instr-atstart=no
        callgrind_switch("on")
    if profiler is not None:
        profiler.enable()
    statuses = [post(i) for i in range(n)]
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    if callgrind:
        callgrind_switch("off")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    gc.callbacks.remove(gc_timer)
    pg = cpu_seconds(backend) - pg
    print(f"in process: {n} readings, statuses {sorted(set(statuses))}")
    print(f"CPU {cpu / n * 1000:.2f} ms/reading, wall {wall / n * 1000:.2f} ms/reading")
    print(f"PostgreSQL backend CPU {pg / n * 1000:.2f} ms/reading (/proc, 10 ms ticks)")
    print(f"garbage collector: {gc_cpu[0] / cpu:.1%} of the CPU, {gc_cpu[1]} full collections")
    print(f"queries per reading: {len(queries)}")
    for sql in queries:
        print("   ", sql[:160])
    print(f"load average {os.getloadavg()[0]:.1f}")


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk",
        help="wrk (Debian's compiled load generator; the default) or the Python threads",
    )
    parser.add_argument("--wrk-cpus", default="", help="taskset CPU list for wrk (e.g. 1)")
    parser.add_argument(
        "--in-process",
        type=int,
        default=0,
        metavar="N",
        help="instead of serving: N readings through django.test.Client in this process, "
        "printing CPU ms and queries per reading (load-independent figures)",
    )
    parser.add_argument("--profile", default="", help="with --in-process: write a cProfile here")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="with --in-process, run under valgrind --tool=callgrind --instr-atstart=no: "
        "instruments only the N readings (instruction counts: load-independent)",
    )
    args = parser.parse_args()

    name = f"ketaclinic_bench_{os.getpid()}"
    base = args.admin_url.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    admin = admin_connect(args.admin_url)
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
        "KETACLINIC_SESSION_IDLE_SECONDS": "3600",
    }
    os.environ.update(env)
    server = None
    try:
        ketaclinic = os.path.join(ROOT, ".venv", "bin", "ketaclinic")
        subprocess.run([ketaclinic, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
        cookies, session_ids = seed(args.clients)
        if args.in_process:
            in_process(cookies, session_ids, args.in_process, args.profile, args.callgrind)
            return
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
            stderr=open(os.path.join(tempfile.gettempdir(), f"{name}.log"), "w"),
        )
        for _ in range(600):  # up to a minute: the machine may be shared and slow
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        if args.load == "wrk":
            import django

            django.setup()
            from ketaclinic.audit.verify import audit_chain_verify
            from ketaclinic.treatment.models import Observation

            before = Observation.objects.filter(code="heart_rate").count()
            while len(server_children(server.pid)) < args.workers:  # workers still forking
                time.sleep(0.1)
            pids = [server.pid, *server_children(server.pid)]
            cpu0 = (cpu_seconds(pids), db_counters(dsn)["cpu"], resource.getrusage(CHILDREN))
            r, e, secs, p50, p95, p99, mean = wrk_run(
                port, cookies, session_ids, args.seconds, args.wrk_cpus
            )
            usage = resource.getrusage(CHILDREN)
            split = (  # CPU seconds during the run: server (Python), PostgreSQL backends, wrk
                cpu_seconds(pids) - cpu0[0],
                db_counters(dsn)["cpu"] - cpu0[1],
                usage.ru_utime + usage.ru_stime - cpu0[2].ru_utime - cpu0[2].ru_stime,
            )
            rows = Observation.objects.filter(code="heart_rate").count() - before
            chain_ok = audit_chain_verify().ok
            raw_1 = raw_insert_rate(dsn, 1, 5.0)
            raw_n = raw_insert_rate(dsn, args.clients, 5.0)
            print(
                f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end"
            )
            print(
                f"wrk: {args.clients} connections, server {args.workers} workers x "
                f"{args.threads} threads, {secs:.1f} s, errors {e}"
            )
            print(
                f"web vitals writes: {r} in {secs:.1f} s = {r / secs:.0f}/s; latency p50 {p50:.1f} ms, "
                f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, mean {mean:.1f} ms"
            )
            print(f"rows written: {rows}; audit chain ok: {chain_ok}")
            print(
                "CPU ms per reading: server "
                + ", ".join(
                    f"{name} {sec / max(r, 1) * 1000:.2f}"
                    for name, sec in zip(
                        ("(gunicorn)", "PostgreSQL backends", "wrk"), split, strict=True
                    )
                )
                + f"; all three {sum(split) / secs:.2f} of {os.cpu_count()} cores"
            )
            print(
                f"baseline raw single-row INSERT (autocommit): 1 connection {raw_1:.0f}/s, "
                f"{args.clients} connections {raw_n:.0f}/s; web/raw ratio {r / secs / raw_n:.2f}"
            )
            return
        latencies: list[list[float]] = [[] for _ in range(args.clients)]
        errors: list[str] = []
        gate = threading.Barrier(args.clients + 1)
        deadline_holder: list[float] = []

        def start(i: int) -> None:
            while not deadline_holder:
                time.sleep(0.001)
            client_run(
                port, cookies[i], session_ids[i], deadline_holder, latencies[i], errors, gate
            )

        threads = [threading.Thread(target=start, args=(i,)) for i in range(args.clients)]
        deadline_holder.append(time.perf_counter() + 3600)  # replaced below after the gate
        for t in threads:
            t.start()
        gate.wait()
        began = time.perf_counter()
        deadline_holder[0] = began + args.seconds
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        all_lat = [x for lst in latencies for x in lst]

        import django

        django.setup()
        from ketaclinic.audit.verify import audit_chain_verify
        from ketaclinic.treatment.models import Observation

        chain_ok = audit_chain_verify().ok
        written = Observation.objects.filter(code="heart_rate", minutes_since_dose__isnull=False)
        raw_1 = raw_insert_rate(dsn, 1, 5.0)
        raw_n = raw_insert_rate(dsn, args.clients, 5.0)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        print(
            f"clients {args.clients}, server {args.workers} workers x {args.threads} threads, {elapsed:.1f} s, "
            f"errors {len(errors)} {errors[:3]}"
        )
        print(
            f"web vitals writes: {len(all_lat)} in {elapsed:.1f} s = {len(all_lat) / elapsed:.0f}/s; "
            f"latency p50 {pct(all_lat, 0.50):.1f} ms, p95 {pct(all_lat, 0.95):.1f} ms, "
            f"p99 {pct(all_lat, 0.99):.1f} ms, mean {statistics.mean(all_lat) * 1000:.1f} ms"
        )
        print(f"rows written (post-dose heart rate): {written.count()}; audit chain ok: {chain_ok}")
        print(
            f"baseline raw single-row INSERT (autocommit): 1 connection {raw_1:.0f}/s, "
            f"{args.clients} connections {raw_n:.0f}/s"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a loaded machine: still drop the database
                server.kill()
                server.wait()
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
