from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.cli import err, run_import


class Command(BaseCommand):
    help = "Halls, zones and windows: import a halls file (JSON), list halls"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="upsert halls by code, all-or-nothing")
        imp.add_argument("file", type=Path)
        sub.add_parser("list", help="print every hall with its live load as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "import":
            from govhall.halls.services import import_halls

            report = run_import(lambda: import_halls(opts["file"]))
            for warning in report.warnings:
                err(f"warning: {warning}")
            err(report.summary("halls"))
        else:
            from govhall.queueing.queries import halls_load

            self.stdout.write(json.dumps(halls_load(), ensure_ascii=False, indent=1))
