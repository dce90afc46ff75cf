from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Live monitoring: replay the alert rules over a ticket log"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_subparsers(dest="action", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        raise CommandError("not built yet")
