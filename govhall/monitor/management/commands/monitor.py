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

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "replay":
            self.replay(opts["log"], opts["halls"], as_json=opts["json"])
        else:
            from govhall import clock
            from govhall.monitor import tasks

            err(f"{tasks.evaluate(clock.now())} new alerts")

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
