from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background worker alone (alerts, end of day, notifications, reports)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every task once and exit")
        parser.add_argument("--simulate", action="store_true", help="also run the demo traffic simulation")

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall import worker

        extra = []
        if opts["simulate"]:
            extra.append(worker.Task("demo traffic", 2, "govhall.demo.simulation:tick"))
        worker.run(once=opts["once"], extra=extra)
