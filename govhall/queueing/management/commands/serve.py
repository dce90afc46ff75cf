from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.cli import err


class Command(BaseCommand):
    help = "Serve HTTP and WebSockets (uvicorn, several processes) and run the background worker"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
        parser.add_argument("--no-worker", action="store_true", help="don't start the background worker")
        parser.add_argument("--simulate", action="store_true", help="run the demo traffic simulation too")

    def handle(self, *args: Any, **opts: Any) -> None:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="govhall.settings")
        server = [
            sys.executable,
            "-m",
            "uvicorn",
            "govhall.asgi:application",
            "--host",
            opts["host"],
            "--port",
            str(opts["port"]),
            "--workers",
            str(max(1, opts["workers"])),
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws-ping-interval",
            "20",
            "--timeout-graceful-shutdown",
            "5",
        ]
        children = [subprocess.Popen(server, env=env)]
        if not opts["no_worker"]:
            worker = [
                sys.executable,
                "-m",
                "govhall",
                "worker",
                *(["--simulate"] if opts["simulate"] else []),
            ]
            children.append(subprocess.Popen(worker, env=env))
        err(f"govhall serving at http://{opts['host']}:{opts['port']}/ ({opts['workers']} processes)")

        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
