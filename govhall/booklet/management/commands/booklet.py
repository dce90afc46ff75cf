"""`govhall booklet build`: the 家里办一本通 of the city or a hall, as PDF or self-contained HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cli import err


class Command(BaseCommand):
    help = "家里办一本通: build the printable booklet of online matters with QR codes"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        make = sub.add_parser("build", help="write the booklet (PDF or HTML, by the --out suffix)")
        make.add_argument("--hall", default="", help="hall code (default: the whole city)")
        make.add_argument(
            "--out", type=Path, default=None, help="FILE.pdf or FILE.html (default: booklet-<scope>.pdf)"
        )
        make.add_argument("--top", type=int, default=None, help="how many matters (default 86)")
        make.add_argument("--bundles", type=int, default=None, help="how many 一件事 (default 39)")
        make.add_argument("--days", type=int, default=None, help="demand window in days (default 90)")
        make.add_argument("--paper", choices=("a5", "a4"), default=None)
        make.add_argument("--json", action="store_true", help="print the selection as JSON on stdout")

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.booklet import build, render

        try:
            hall = build.find_hall(opts["hall"])
            options = build.Options.parse({k: opts[k] for k in ("top", "bundles", "days", "paper")})
        except build.BookletError as exc:
            raise CommandError(str(exc))
        out: Path = opts["out"] or Path(f"booklet-{hall.code if hall else 'city'}.pdf")
        if out.suffix.lower() not in (".pdf", ".html"):
            raise CommandError("--out must end in .pdf or .html")
        booklet = build.build(hall, options)
        if out.suffix.lower() == ".html":
            out.write_text(render.html(booklet), encoding="utf-8")
        else:
            try:
                out.write_bytes(render.pdf(booklet))
            except RuntimeError as exc:
                raise CommandError(str(exc))
        err(
            f"{booklet.scope_name}: {booklet.matter_count} matters in {len(booklet.sections)} groups, "
            f"{len(booklet.bundles)} 一件事 → {out}"
        )
        if opts["json"]:
            self.stdout.write(json.dumps(booklet.as_dict(), ensure_ascii=False))
