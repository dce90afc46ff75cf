from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cli import err, run_import


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise CommandError(f"bad date {text!r}: use YYYY-MM-DD")


class Command(BaseCommand):
    help = "Ticket logs: export-log and import-log (CSV, CONTRACTS section 6)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        exp = sub.add_parser("export-log", help="write the ticket log as CSV")
        exp.add_argument("--out", required=True, help="file to write, or - for stdout")
        exp.add_argument("--hall")
        exp.add_argument("--since", help="first service day, YYYY-MM-DD")
        exp.add_argument("--until", help="last service day, YYYY-MM-DD")
        imp = sub.add_parser("import-log", help="import history from a ticket log, all-or-nothing")
        imp.add_argument("file", type=Path)
        close = sub.add_parser("close-day", help="cancel tickets still waiting in a hall (end of day)")
        close.add_argument("--hall", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.queueing import logs

        if opts["action"] == "export-log":
            since = _date(opts["since"]) if opts["since"] else None
            until = _date(opts["until"]) if opts["until"] else None
            if opts["out"] == "-":
                count = logs.export_log(sys.stdout, hall=opts["hall"], since=since, until=until)  # type: ignore[arg-type]
            else:
                with open(opts["out"], "w", encoding="utf-8", newline="") as fh:
                    count = logs.export_log(fh, hall=opts["hall"], since=since, until=until)  # type: ignore[arg-type]
            err(f"{count} tickets exported")
        elif opts["action"] == "import-log":
            report = run_import(lambda: logs.import_log(opts["file"]))
            for warning in report.warnings:
                err(f"note: {warning}")
            err(f"{report.created} tickets imported")
        else:
            from govhall.halls.models import Hall
            from govhall.queueing.services import close_day

            hall = Hall.objects.filter(code=opts["hall"]).first()
            if hall is None:
                raise CommandError(f"no hall {opts['hall']!r}")
            err(f"{close_day(hall)} waiting tickets cancelled")
