"""Shared parts of the fault scripts: a private PostgreSQL cluster, a seeded clinic, the server,
the writing clients and the checks afterwards.

Each script starts its own cluster (initdb from /usr/lib/postgresql/15/bin into
/tmp/faults/pg-<name>, its own port), so stopping or killing it never touches a shared server.
Run as root, the cluster runs as ``nobody`` (PostgreSQL refuses root), as scripts/test does.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
KETACLINIC = str(ROOT / ".venv" / "bin" / "ketaclinic")
SCRATCH = Path("/tmp/faults")  # noqa: S108 - the scratch folder the fault runs use
PASSWORD = "faults-Harbour-lighthouse-2026"  # noqa: S105 - a scratch database only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _as_postgres_user() -> list[str]:
    return ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []


@dataclass
class Cluster:
    """A private PostgreSQL cluster; ``stop``/``start`` are the faults, ``remove`` the cleanup."""

    name: str
    port: int = field(default_factory=free_port)
    base: Path = field(init=False)

    def __post_init__(self) -> None:
        self.base = SCRATCH / f"pg-{self.name}-{os.getpid()}"

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed programs
            [*_as_postgres_user(), *args], capture_output=True, text=True, check=check
        )

    def create(self, *initdb_args: str, **settings: str) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "nobody")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        self._run(*initdb, *initdb_args)
        conf = {"listen_addresses": "'127.0.0.1'", "port": str(self.port), **settings}
        conf["unix_socket_directories"] = f"'{self.base}'"
        with (self.data / "postgresql.conf").open("a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        self.start()

    def start(self) -> None:
        log = str(self.base / "server.log")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-w", "start")

    def running(self) -> bool:
        status = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [
            int(d.name)
            for d in Path("/proc").iterdir()
            if d.name.isdigit() and _parent_of(d) == postmaster
        ]
        return [postmaster, *children]

    def freeze(self) -> None:
        """SIGSTOP the server and every backend: a host that stopped answering (a hung VM, a
        network partition) rather than one that refuses connections."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def remove(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False
        )
        shutil.rmtree(self.base, ignore_errors=True)


def _parent_of(proc: Path) -> int:
    try:
        stat = (proc / "stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def environment(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "ketaclinic.settings",
        "KETACLINIC_VAR_DIR": str(var_dir),
        "KETACLINIC_SESSION_IDLE_SECONDS": "3600",
        "KETACLINIC_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([KETACLINIC, "migrate", "-v", "0"], env=env, check=True)  # noqa: S603


@dataclass
class StockDesk:
    """The ledger writer: an inventory manager's signed-in session, a product and a location to
    receive into, and witnesses (username, TOTP device) who each sign at most once per 30 s."""

    cookie: str
    product_id: int
    location_id: int
    witnesses: list[tuple[str, Any]]


def _session_for(membership: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.middleware import AUTH_TIME_KEY, CLINIC_KEY
    from ketaclinic.accounts.sessions import SessionStore

    user = membership.user
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    store[AUTH_TIME_KEY] = time.time()
    store[CLINIC_KEY] = membership.clinic_id
    store.set_expiry(3600)
    store.create()
    return str(store.session_key)


def seed(clients: int, witnesses: int = 0) -> tuple[list[str], list[int], StockDesk | None]:
    """One clinic, a nurse per chair with a signed-in session, a dosed esketamine session per
    chair (so each reading runs the alert rules), and with ``witnesses`` a stock desk. Returns
    the session cookies, the treatment session ids and the stock desk."""
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

    clinic = testing.make_clinic("faults", "Faults Clinic", "UTC")

    def member(username: str, role: Role) -> Any:
        return testing.make_member(
            clinic, username, role, password=PASSWORD, first_name="F", last_name=username
        )

    admin = member("faults-admin", Role.CLINIC_ADMIN)
    prescriber = member("faults-prescriber", Role.PRESCRIBER)
    version = testing.shipped_protocol(admin, "esketamine_trd")
    make_patient = testing.patient_maker()
    now = timezone.now()
    cookies: list[str] = []
    session_ids: list[int] = []
    for i in range(clients):
        nurse = member(f"faults-nurse-{i}", Role.NURSE)
        patient = make_patient(
            prescriber,
            mrn=f"F{i:03d}",
            given_name="Chair",
            family_name=f"Synthetic{i}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        testing.weigh(prescriber, patient, "70", days_ago=1)
        s = testing.checked_in_session(
            nurse=nurse,
            prescriber=prescriber,
            version=version,
            patient=patient,
            systolic=124,
            diastolic=78,
            vitals_minutes_ago=20,
            chair=f"Chair {i + 1}",
            decision_note="faults",
        )
        services.dose_record(
            by=nurse,
            session=s,
            dose_mg=Decimal("56"),
            product="SPRAVATO",
            lot_number="FAULTS",
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
    desk = None
    if witnesses:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from ketaclinic.inventory import services as stock

        manager = member("faults-kim", Role.INVENTORY_MANAGER)
        products = stock.catalogue_install(by=manager)
        location = stock.location_create(by=manager, name="Safe", serves_sessions=True)
        signers = [member(f"faults-witness-{k}", Role.NURSE) for k in range(witnesses)]
        desk = StockDesk(
            cookie=_session_for(manager),
            product_id=products[0].pk,
            location_id=location.pk,
            witnesses=[
                (w.user.username, TOTPDevice.objects.get(user=w.user, confirmed=True))
                for w in signers
            ],
        )
    from django.db import connections

    connections.close_all()
    return cookies, session_ids, desk


class Server:
    """``ketaclinic serve`` (gunicorn master + workers) in its own process group."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 4) -> None:
        self.env = env
        self.port = free_port()
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["KETACLINIC_VAR_DIR"]) / "server.log"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed program
                [
                    KETACLINIC,
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                ],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/accounts/login/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def kill9(self) -> None:
        """kill -9 of the master and every worker at once (the whole process group)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
            self.proc = None


def csrf_for(port: int, cookie: str, session_id: int) -> tuple[str, str] | None:
    """The session page's CSRF form token and cookie, or None when the page did not open."""
    from django.conf import settings

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Host": "127.0.0.1"}
        conn.request("GET", f"/treatment/sessions/{session_id}/", headers=headers)
        page = conn.getresponse()
        body = page.read().decode()
        conn.close()
    except (OSError, http.client.HTTPException):
        return None
    csrf_cookie = ""
    for name, value in page.getheaders():
        if name.lower() == "set-cookie" and "csrftoken=" in value:
            csrf_cookie = value.split("csrftoken=", 1)[1].split(";", 1)[0]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if page.status != 200 or match is None or not csrf_cookie:
        return None
    return match.group(1), csrf_cookie


@dataclass
class Outcome:
    status: int  # 0: no answer (connection refused, reset or timed out)
    seconds: float
    body: bytes = b""
    retry_after: str = ""


def post_note(  # noqa: PLR0917 - one call site per script
    port: int, cookie: str, csrf: tuple[str, str], session_id: int, token: str, timeout: float
) -> Outcome:
    """One reading (an observation note whose text is ``token``, sent with ``token`` as its form
    token, so that a resend after an unanswered attempt is recorded once)."""
    from django.conf import settings

    token_field, csrf_cookie = csrf
    body = f"csrfmiddlewaretoken={token_field}&code=note&text={token}&form_token={token}"
    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "Referer": f"http://127.0.0.1:{port}/treatment/sessions/{session_id}/",
        "Host": "127.0.0.1",
    }
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", f"/treatment/sessions/{session_id}/observation/", body, headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return Outcome(0, time.perf_counter() - t0)
    elapsed = time.perf_counter() - t0
    return Outcome(response.status, elapsed, data, response.getheader("Retry-After") or "")


class WitnessPool:
    """Hands out a witness whose code has not been used in the current 30-s step (a TOTP code
    is accepted once), with that code; waits for the next step when all have signed."""

    def __init__(self, witnesses: list[tuple[str, Any]]) -> None:
        self.witnesses = witnesses
        self.used: dict[str, int] = {}
        self.lock = threading.Lock()

    def take(self, stop: threading.Event) -> tuple[str, str] | None:
        from ketaclinic.accounts.totp import current_code

        while not stop.is_set():
            now = time.time()
            step = int(now // 30)
            with self.lock:
                for username, device in self.witnesses:
                    if self.used.get(username, -1) < step:
                        self.used[username] = step
                        return username, current_code(device, at=now)
            time.sleep(0.5)
        return None


def receive_form(port: int, cookie: str) -> tuple[str, str] | None:
    """The receive page's CSRF form token and cookie (as ``csrf_for``), or None."""
    from django.conf import settings

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Host": "127.0.0.1"}
        conn.request("GET", "/stock/receive/", headers=headers)
        page = conn.getresponse()
        body = page.read().decode()
        conn.close()
    except (OSError, http.client.HTTPException):
        return None
    csrf_cookie = ""
    for name, value in page.getheaders():
        if name.lower() == "set-cookie" and "csrftoken=" in value:
            csrf_cookie = value.split("csrftoken=", 1)[1].split(";", 1)[0]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if page.status != 200 or match is None or not csrf_cookie:
        return None
    return match.group(1), csrf_cookie


def post_receipt(  # noqa: PLR0917 - one call site per script
    port: int,
    desk: StockDesk,
    csrf: tuple[str, str],
    token: str,
    witness: tuple[str, str],
    timeout: float,
) -> Outcome:
    """One witnessed stock receipt of two vials (two ledger entries) whose invoice number is
    ``token``, sent with ``token`` as its form token."""
    import datetime as dt
    from urllib.parse import urlencode

    from django.conf import settings

    today = dt.datetime.now(dt.UTC).date()
    fields = {
        "csrfmiddlewaretoken": csrf[0],
        "form_token": token,
        "product": desk.product_id,
        "location": desk.location_id,
        "lot_number": "FAULTS",
        "expiry_date": (today + dt.timedelta(days=300)).isoformat(),
        "container_count": 2,
        "supplier_name": "Synthetic Supply",
        "supplier_address": "1 Test Road",
        "supplier_dea_number": "RB1234563",
        "invoice_number": token,
        "received_on": today.isoformat(),
        "witness_username": witness[0],
        "witness_password": PASSWORD,
        "witness_token": witness[1],
    }
    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={desk.cookie}; csrftoken={csrf[1]}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://127.0.0.1:{port}/stock/receive/",
        "Host": "127.0.0.1",
    }
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("POST", "/stock/receive/", urlencode(fields), headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return Outcome(0, time.perf_counter() - t0)
    return Outcome(response.status, time.perf_counter() - t0, data)


def receipts_by_invoice(prefix: str) -> dict[str, tuple[int, int]]:
    """Per invoice number starting with ``prefix``: (receipts, ledger entries of them)."""
    from django.db import connections
    from django.db.models import Count

    from ketaclinic.inventory.models import LedgerEntry, Receipt

    connections.close_all()
    receipts = Receipt.objects.filter(invoice_number__startswith=prefix)
    counts = {
        r["invoice_number"]: r["n"]
        for r in receipts.values("invoice_number").annotate(n=Count("id"))
    }
    entries: dict[str, int] = {}
    for row in LedgerEntry.objects.filter(container__receipt__in=receipts).values(
        "container__receipt__invoice_number"
    ):
        key = row["container__receipt__invoice_number"]
        entries[key] = entries.get(key, 0) + 1
    return {k: (n, entries.get(k, 0)) for k, n in counts.items()}


@dataclass
class Ledger:
    """What the clients know: tokens acknowledged (201, or a 409 twin of a recorded one)."""

    acknowledged: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def notes_by_text(session_ids: list[int]) -> dict[str, int]:
    """How many observation notes carry each text, over the given sessions."""
    from django.db import connections
    from django.db.models import Count

    from ketaclinic.treatment.models import Observation

    connections.close_all()
    rows = (
        Observation.objects.filter(session_id__in=session_ids, code="note")
        .values("text")
        .annotate(n=Count("id"))
    )
    return {r["text"]: r["n"] for r in rows}


def verify_chains(env: dict[str, str]) -> dict[str, str]:
    """``ketaclinic audit verify`` and ``ketaclinic ledger verify``: "ok" or the first line."""
    results = {}
    for what in ("audit", "ledger"):
        run = subprocess.run(  # noqa: S603 - fixed program
            [KETACLINIC, what, "verify"], env=env, capture_output=True, text=True, check=False
        )
        text = (run.stdout + run.stderr).strip().splitlines()
        results[what] = "ok" if run.returncode == 0 else f"FAILED: {text[:1]}"
    return results


def table(rows: list[tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    t0 = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - t0)


def half_written(session_ids: list[int]) -> tuple[int, int]:
    """Notes without their audit event, and note events without their observation."""
    from django.db import connections

    from ketaclinic.audit.models import AuditEvent, EventType
    from ketaclinic.treatment.models import Observation

    connections.close_all()
    notes = {
        str(pk)
        for pk in Observation.objects.filter(session_id__in=session_ids, code="note").values_list(
            "pk", flat=True
        )
    }
    events: dict[str, int] = {}
    for object_id in AuditEvent.objects.filter(
        event_type=EventType.OBSERVATION_RECORDED, extra__code="note"
    ).values_list("object_id", flat=True):
        events[object_id] = events.get(object_id, 0) + 1
    without_event = sum(1 for pk in notes if events.get(pk, 0) != 1)
    without_row = sum(1 for pk in events if pk not in notes)
    return without_event, without_row
