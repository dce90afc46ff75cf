from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cli import err


class Command(BaseCommand):
    help = "Live monitoring: replay the alert rules over a ticket log, or evaluate them once now"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rep = sub.add_parser("replay", help="the alerts the live monitor would have raised for a log")
        rep.add_argument("--log", required=True, type=Path, help="ticket log CSV (CONTRACTS section 6)")
        rep.add_argument("--halls", required=True, type=Path, help="halls JSON (CONTRACTS section 4)")
        rep.add_argument("--json", action="store_true", help='print {"alerts": [...]} alone on stdout')
        sub.add_parser("evaluate", help="run one live evaluation cycle now (the worker does this every 3 s)")
        work = sub.add_parser(
            "work",
            help="run only the monitor's tasks (evaluate, escalate, deliver notifications) until stopped",
        )
        work.add_argument("--interval", type=float, default=1.0, help="seconds between rounds (default 1)")
        work.add_argument(
            "--lease",
            type=float,
            default=None,
            help="seconds a claimed notification is held before another worker may retry it "
            "(default 60; must exceed the 5 s send timeout)",
        )
        work.add_argument("--deliver-only", action="store_true", help="only deliver the outbox")
        work.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "replay":
            self.replay(opts["log"], opts["halls"], as_json=opts["json"])
        elif opts["action"] == "work":
            self.work(opts["interval"], opts["lease"], deliver_only=opts["deliver_only"], once=opts["once"])
        else:
            from govhall import clock
            from govhall.monitor import tasks

            err(f"{tasks.evaluate(clock.now())} new alerts")

    def work(self, interval: float, lease: float | None, *, deliver_only: bool, once: bool) -> None:
        """A worker for the monitor alone: what `govhall worker` runs for this app, in one loop."""
        import signal

        from django.conf import settings
        from django.db import close_old_connections

        from govhall import clock
        from govhall.monitor import notifiers, tasks

        if lease is not None:
            if lease <= notifiers.TIMEOUT_SECONDS:
                raise CommandError(f"--lease must exceed the send timeout ({notifiers.TIMEOUT_SECONDS:g} s)")
            settings.GOVHALL["OUTBOX_LEASE_SECONDS"] = lease
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        err("monitor worker started")
        while not stopping:
            close_old_connections()
            if not deliver_only:
                tasks.evaluate(clock.now())
            tasks.deliver(clock.now())
            if once:
                return
            time.sleep(interval)

    def replay(self, log: Path, halls: Path, *, as_json: bool) -> None:
        from govhall.monitor.replay import HallsError, replay_files
        from govhall.ticketlog import LogError

        started = time.perf_counter()
        for path in (log, halls):
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
        try:
            result = replay_files(log, halls)
        except (LogError, HallsError) as exc:
            raise CommandError(str(exc))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the file: {exc}")
        alerts = result["alerts"]
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for alert in alerts:
                self.stdout.write(
                    f"{alert['at']}  {alert['kind']:<8}  {alert['hall']}/{alert['zone']}  "
                    f"{alert['ticket_id'] or ''}"
                )
        err(f"{len(alerts)} alerts in {time.perf_counter() - started:.1f} s")
