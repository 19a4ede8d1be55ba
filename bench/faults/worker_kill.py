"""Fault: the worker (``ketaclinic worker``) killed with -9 in the middle of a job.

Run: .venv/bin/python bench/faults/worker_kill.py [--job-seconds 8]

1. A private PostgreSQL cluster (bench/faults/common.py), migrated, with one clinic.
2. A one-off run of a job (bench/faults/slow_job.py) is queued: the job raises an alert (its
   effect), signals that it has, then works on for --job-seconds inside its transaction.
3. A worker process (``ketaclinic worker`` with that job registered) claims the run; once the
   job has written its effect, the worker's process group gets SIGKILL.
4. A second worker is started at once. The run stays "running" until its lease
   (KETACLINIC_JOBS_LEASE_SECONDS, set to its minimum, 30 s) has passed; then the worker puts it
   back and runs it again.
5. Reported: the alerts after the kill (0: the effect died with the transaction), the run's
   status, attempts and the alerts at the end (1: done once), with the times.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import SCRATCH, Cluster, environment, load_average, migrate, table

HERE = Path(__file__).resolve().parent


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed program
            [sys.executable, str(HERE / "slow_job.py")],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def kill9(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job-seconds", type=float, default=8.0)
    parser.add_argument("--lease", type=int, default=30, help="lease seconds (30 at least)")
    args = parser.parse_args()

    cluster = Cluster("worker")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        cluster.create()
        var = SCRATCH / f"var-worker-{cluster.port}"
        env = environment(cluster.url(), var)
        marker = var / "job-attempt"
        env.update(
            KETACLINIC_JOBS_LEASE_SECONDS=str(args.lease),
            FAULTS_MARKER=str(marker),
            FAULTS_JOB_SECONDS=str(args.job_seconds),
        )
        os.environ.update(env)
        migrate(env)
        import django

        django.setup()
        from django.db import connections

        from ketaclinic import testing
        from ketaclinic.alerts.models import Alert
        from ketaclinic.ops.models import JobRun
        from ketaclinic.ops.runner import job_enqueue

        sys.path.insert(0, str(HERE))
        import slow_job

        slow_job.register()
        clinic = testing.make_clinic("faults", "Faults Clinic", "UTC")
        run = job_enqueue(name=slow_job.NAME, key="faults-1", clinic_id=clinic.pk)
        assert run is not None

        def alerts() -> int:
            connections.close_all()
            return Alert.objects.filter(source_type=slow_job.SOURCE).count()

        began = time.perf_counter()
        procs.append(worker(env, var / "worker-1.log"))
        while not Path(f"{marker}-1").exists():
            if time.perf_counter() - began > 120:
                raise SystemExit("the first worker never started the job")
            time.sleep(0.05)
        kill9(procs[0])
        killed_at = time.perf_counter()
        connections.close_all()
        after_kill = JobRun.objects.get(pk=run.pk)
        alerts_after_kill = alerts()
        procs.append(worker(env, var / "worker-2.log"))
        retried_at = None
        while True:
            if retried_at is None and Path(f"{marker}-2").exists():
                retried_at = time.perf_counter()
            connections.close_all()
            now = JobRun.objects.get(pk=run.pk)
            if now.status not in {"queued", "running"}:
                break
            if time.perf_counter() - killed_at > args.lease + 120:
                raise SystemExit("the run was not retried within the lease + 120 s")
            time.sleep(0.2)
        done_at = time.perf_counter()
        final_alerts = alerts()
        kill9(procs[1])
        print(f"worker killed with -9 mid-job, PostgreSQL ({time.strftime('%Y-%m-%d %H:%M')})")
        print(
            table(
                [
                    (
                        "job: alert written, then",
                        f"{args.job_seconds:.0f} s more in its transaction",
                    ),
                    (
                        "killed after the effect was written",
                        f"{killed_at - began:.1f} s after start",
                    ),
                    (
                        "run after the kill: status, attempts",
                        f"{after_kill.status}, {after_kill.attempts}",
                    ),
                    ("alerts right after the kill", alerts_after_kill),
                    ("lease", f"{args.lease} s"),
                    (
                        "retry started, after the kill",
                        f"{retried_at - killed_at:.1f} s" if retried_at else "never",
                    ),
                    ("run at the end: status, attempts", f"{now.status}, {now.attempts}"),
                    ("done, after the kill", f"{done_at - killed_at:.1f} s"),
                    ("alerts at the end (the effect)", final_alerts),
                    ("load average (1, 5, 15 min)", load_average()),
                ]
            )
        )
        if alerts_after_kill != 0 or final_alerts != 1 or now.status != "succeeded":
            raise SystemExit("FAILED")
    finally:
        for proc in procs:
            kill9(proc)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        cluster.remove()


if __name__ == "__main__":
    main()
