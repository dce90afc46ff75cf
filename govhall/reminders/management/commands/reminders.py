from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.cli import err, run_import


class Command(BaseCommand):
    help = "Certificate expiry reminders: import records, plan, send, run a worker or a fake gateway"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import certificate records (.csv/.xlsx), all or nothing")
        imp.add_argument("file", type=Path)
        imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        imp.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
        sub.add_parser("plan", help="create the missing reminder rows now")
        send = sub.add_parser("send", help="send what is due now, once")
        send.add_argument("--json", action="store_true")
        work = sub.add_parser("work", help="plan and send in a loop until stopped (what the worker does)")
        work.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
        work.add_argument(
            "--lease", type=float, default=None, help="seconds a claimed reminder is held (default 60)"
        )
        work.add_argument("--pause", type=float, default=0.0, help="seconds between two sends (throttle)")
        work.add_argument("--once", action="store_true")
        fake = sub.add_parser("fake-gateway", help="run the local fake SMS gateway (dedupes on request_id)")
        fake.add_argument("--port", type=int, default=8025)
        fake.add_argument("--secret", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.reminders import services

        action = opts["action"]
        if action == "import":
            report = run_import(
                lambda: services.import_records(
                    opts["file"].name, opts["file"].read_bytes(), dry_run=opts["dry_run"]
                )
            )
            if opts["json"]:
                self.stdout.write(json.dumps(asdict(report), ensure_ascii=False))
            err(
                f"certificate records: {report.created} created, {report.updated} updated, "
                f"{report.planned} reminders planned{' (dry run, nothing written)' if opts['dry_run'] else ''}"
            )
        elif action == "plan":
            err(f"{services.plan_reminders()} reminders planned")
        elif action == "send":
            result = services.send_due(budget_seconds=60.0, limit=1000)
            if opts["json"]:
                self.stdout.write(json.dumps(asdict(result), ensure_ascii=False))
            err(f"sent {result.sent}, failed {result.failed}, deferred {result.deferred}")
        elif action == "work":
            self.work(opts["interval"], opts["lease"], opts["pause"], once=opts["once"])
        else:
            self.fake_gateway(opts["port"], opts["secret"])

    def work(self, interval: float, lease: float | None, pause: float, *, once: bool) -> None:
        import signal

        from django.conf import settings
        from django.db import close_old_connections

        from govhall import clock
        from govhall.reminders import services

        if lease is not None:
            settings.GOVHALL["REMINDERS_LEASE_SECONDS"] = lease
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        err("reminders worker started")
        last_plan = 0.0
        while not stopping:
            close_old_connections()
            if time.monotonic() - last_plan > 60:
                services.plan_reminders(clock.now())
                last_plan = time.monotonic()
            services.send_due(clock.now(), budget_seconds=10.0, pause=pause)
            if once:
                return
            time.sleep(interval)

    def fake_gateway(self, port: int, secret: str) -> None:
        from govhall.reminders.fakegateway import FakeGateway

        gateway = FakeGateway(port=port, secret=secret)
        err(f"fake SMS gateway on {gateway.url} (GET / lists what reached the 'handsets'); Ctrl-C stops")
        try:
            gateway.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.server.server_close()
