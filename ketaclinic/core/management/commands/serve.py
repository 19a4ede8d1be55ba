from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serve ketaclinic with gunicorn (pre-forked worker processes, threads in each) and WhiteNoise "
        "for static files. Put a TLS-terminating proxy in front in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes (default: one per CPU, so every core runs Python)",
        )
        parser.add_argument("--threads", type=int, default=8, help="threads per worker")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from ketaclinic.wsgi import application

        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be 1 or more")

        class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
            def load_config(self) -> None:
                self.cfg.set("bind", f"{options['host']}:{options['port']}")
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("proc_name", "ketaclinic")
                self.cfg.set("graceful_timeout", 10)
                # No access log: request lines can carry search terms (patient names).
                self.cfg.set("accesslog", None)
                # No control socket in the user's home folder; stop the server with a signal.
                self.cfg.set("control_socket_disable", True)

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"ketaclinic on http://{options['host']}:{options['port']}/ "
            f"({options['workers']} workers x {options['threads']} threads; Ctrl-C stops)"
        )
        self.stdout.flush()
        from django.db import connections

        connections.close_all()  # each worker process opens its own connections after the fork
        _Server().run()
