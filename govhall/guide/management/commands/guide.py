from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Guidance search (智能导办): plain words in, ranked matters out"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        search = sub.add_parser("search", help="search the catalogue")
        search.add_argument("text", nargs="?", default=None)
        search.add_argument("--top", type=int, default=5)
        search.add_argument("--json", action="store_true", help="one JSON object per query")
        search.add_argument("--stdin", action="store_true", help="one query per input line")
        search.add_argument("--route", action="store_true", help="add each result's recommended route")
        search.add_argument("--lat", type=float, default=None, help="your latitude (with --route)")
        search.add_argument("--lon", type=float, default=None, help="your longitude (with --route)")
        evaluate = sub.add_parser(
            "evaluate", help="top-1/top-3 by kind on the demo catalogue, vs. plain BM25"
        )
        evaluate.add_argument(
            "--set", dest="set", default=None, help="question JSONL (default: the frozen set)"
        )
        evaluate.add_argument("--misses", action="store_true", help="list the engine's top-1 misses")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "evaluate":
            from govhall.guide.evaluation import FROZEN, compare

            path = opts["set"] or FROZEN
            try:
                self.stdout.write(compare(path, misses=opts["misses"]))
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"cannot evaluate {path}: {exc}") from exc
            return
        from govhall.guide.services import search_catalog

        if opts["top"] < 1:
            raise CommandError("--top must be at least 1")
        if opts["stdin"]:
            queries = [line.rstrip("\n") for line in sys.stdin]
        elif opts["text"] is not None:
            queries = [opts["text"]]
        else:
            raise CommandError("give TEXT or --stdin")
        for query in queries:
            result = search_catalog(
                query, top=opts["top"], lat=opts["lat"], lon=opts["lon"], routes=opts["route"]
            )
            if opts["json"]:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            else:
                self._table(result)

    def _table(self, result: dict[str, Any]) -> None:
        self.stdout.write(f"» {result['query']}")
        for rank, item in enumerate(result["results"], start=1):
            self.stdout.write(f"  {rank}. {item['score']:.3f}  {item['code']}  {item['name']}")
            if item.get("why"):
                self.stdout.write(f"       {item.get('department') or ''} · {item['why']}")
            route = item.get("route")
            if route:
                line = f"       {route['channel_label']}: {route['howto']}"
                self.stdout.write(line)
                for hall in route["halls"]:
                    km = f"{hall['distance_km']} km, " if hall.get("distance_km") is not None else ""
                    self.stdout.write(
                        f"       · {hall['name']} ({km}{hall['waiting']} 人等候, "
                        f"约 {hall['estimated_wait_seconds'] // 60} 分钟)"
                    )
        ask = result.get("ask")
        if ask:
            labels = " / ".join(option["label"] for option in ask["options"])
            self.stdout.write(f"  ? {ask['question']} {labels}")
