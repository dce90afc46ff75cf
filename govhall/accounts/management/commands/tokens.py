from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "API tokens: `tokens create --username NAME [--hall CODE] [--role staff|manager|admin]`"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="create a token (and the user if needed); prints the token last"
        )
        create.add_argument("--username", required=True)
        create.add_argument("--hall", default=None)
        create.add_argument("--role", default="staff", choices=["staff", "manager", "admin"])

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.accounts.services import create_token

        try:
            token = create_token(opts["username"], hall_code=opts["hall"], role=opts["role"])
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(token)
