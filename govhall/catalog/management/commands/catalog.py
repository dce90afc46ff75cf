from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cli import err, run_import


class Command(BaseCommand):
    help = "Catalogue of matters (事项目录): import or export .jsonl, .csv or .xlsx"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="upsert matters by code, all-or-nothing")
        imp.add_argument("file", type=Path)
        imp.add_argument("--prune", action="store_true", help="remove matters absent from the file")
        exp = sub.add_parser("export", help="write every matter in the import format")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.catalog import services

        if opts["action"] == "import":
            report = run_import(lambda: services.import_catalog(opts["file"], prune=opts["prune"]))
            for warning in report.warnings:
                err(f"warning: {warning}")
            err(report.summary("matters"))
        elif opts["action"] == "export":
            try:
                count = services.export_catalog(opts["file"])
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc))
            err(f"{count} matters written to {opts['file']}")
