"""``ketaclinic worker``: runs background jobs and schedules the periodic ones.

One loop: schedule the current period's runs (exactly once across workers), put back runs whose
worker died, then run every ready task (django-tasks' database worker, batch mode), then sleep.
Start one or several (systemd, docs/deployment.md); no cron line is needed."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from ketaclinic.ops.runner import requeue_expired, schedule_due

logger = logging.getLogger("ketaclinic.ops.worker")


class Command(BaseCommand):
    help = (
        "Run background jobs: REMS deadline alerts, stock alerts, audit anchoring and the daily "
        "audit report, each scheduled once per period however many workers run; retries "
        "failed or interrupted runs. --once runs one round and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between rounds (0.1 to 3600)"
        )
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = float(options["interval"])
        if not 0.1 <= interval <= 3600:
            raise CommandError(f"--interval {interval}: give 0.1 to 3600 seconds")
        self._running = True
        if not options["once"]:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        self.stdout.write(f"worker {worker_id} started")
        while self._running:
            close_old_connections()
            scheduled = schedule_due()
            requeued = requeue_expired()
            if scheduled or requeued:
                logger.info("scheduled %d run(s), requeued %d", len(scheduled), requeued)
            Worker(
                queue_names=["*"],
                interval=0.2,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            ).run()
            if options["once"]:
                break
            slept = 0.0
            while self._running and slept < interval:
                time.sleep(min(0.5, interval - slept))
                slept += 0.5
        self.stdout.write(f"worker {worker_id} stopped")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._running = False
