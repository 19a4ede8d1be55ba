from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def production_problems() -> list[str]:
    """What makes the settings unfit to serve patients (issue 15), each naming its variable."""
    from django.conf import settings

    problems = []
    if not settings.DEPLOY:
        problems.append("KETACLINIC_DEPLOY must be true (HTTPS-only cookies, HSTS)")
    if settings.DEBUG:
        problems.append("KETACLINIC_DEBUG must be off: debug pages show settings and data")
    if not settings.SECRET_KEY_FROM_ENV:
        problems.append("KETACLINIC_SECRET_KEY (or KETACLINIC_SECRET_KEY_FILE) must be set")
    elif len(settings.SECRET_KEY_FROM_ENV) < 50:
        problems.append("KETACLINIC_SECRET_KEY must be 50 characters or more")
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts or "*" in hosts:
        problems.append("KETACLINIC_ALLOWED_HOSTS must list the server's host names (not '*')")
    return problems


def production_problems_raise() -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    problems = production_problems()
    if problems:
        raise CommandError(
            "refusing to serve in production:\n- " + "\n- ".join(problems) + "\n"
            "See docs/deployment.md."
        )
    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as exc:
        raise CommandError(
            f"refusing to serve in production: 'check --deploy' failed\n{exc}"
        ) from None


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
        parser.add_argument(
            "--timeout",
            type=int,
            default=30,
            help=(
                "gunicorn's worker timeout in seconds: a worker process whose main loop is silent "
                "that long is killed and replaced. It does not bound one request (a gthread "
                "worker's request threads don't stop its heartbeat); a database that stops "
                "answering is bounded by KETACLINIC_DB_STALL_SECONDS (docs/deployment.md)"
            ),
        )
        parser.add_argument(
            "--production",
            action="store_true",
            help=(
                "refuse to start unless the configuration is fit for production: "
                "KETACLINIC_DEPLOY=true, KETACLINIC_DEBUG off, a secret key and allowed hosts "
                "from the environment (or *_FILE paths), and 'check --deploy' clean"
            ),
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="with --production: check the configuration and exit (for ExecStartPre)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from ketaclinic.wsgi import application

        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be 1 or more")
        if options["timeout"] < 1:
            raise CommandError("--timeout must be 1 second or more")
        if options["production"]:
            production_problems_raise()
            if options["check"]:
                self.stdout.write("ketaclinic: the production configuration is fit to serve")
                return
        elif options["check"]:
            raise CommandError("--check goes with --production")

        class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
            def load_config(self) -> None:
                self.cfg.set("bind", f"{options['host']}:{options['port']}")
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("proc_name", "ketaclinic")
                self.cfg.set("timeout", options["timeout"])
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
