from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govhall.cli import err


class Command(BaseCommand):
    help = "Demo city: `demo load` loads the invented halls, catalogue and bundles"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="load (or refresh) the demo city")

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.demo.loader import load_demo

        err(load_demo())
