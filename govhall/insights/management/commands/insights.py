"""`govhall insights …`: argument parsing and printing only; the work is in govhall.insights.*."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govhall.cli import err


def _positive(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError(text)
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError(text)
    return value


def _emit(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Command(BaseCommand):
    help = "Insights over ticket logs: predict-waits, staffing, bundles, top, whatif, generate, snapshot"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("predict-waits", help="predict each ticket's wait, causally")
        p.add_argument("--history", required=True, type=Path)
        p.add_argument("--log", required=True, type=Path)
        p.add_argument("--out", required=True, help="CSV to write, or - for stdout")
        p.add_argument(
            "--evaluate", action="store_true", help="also print the MAE against baselines (stderr)"
        )
        s = sub.add_parser("staffing", help="fewest windows per zone, weekday and hour (Erlang C)")
        s.add_argument("--log", required=True, type=Path)
        s.add_argument("--target-wait", type=_positive, default=900.0, help="seconds (default 900)")
        s.add_argument("--target-share", type=_share, default=0.8, help="0-1 (default 0.8)")
        s.add_argument("--json", action="store_true")
        b = sub.add_parser("bundles", help="matters the same subject does within N days (一事联办)")
        b.add_argument("--log", required=True, type=Path)
        b.add_argument("--window-days", type=_positive, default=7.0)
        b.add_argument("--min-subjects", type=int, default=1, help="leave out rarer sets (default 1: all)")
        b.add_argument(
            "--agent-tickets",
            type=int,
            default=10,
            help="more served tickets in one window = an agent (0: no limit)",
        )
        b.add_argument("--min-lift", type=float, default=0.0, help="leave out sets with a lower lift")
        b.add_argument(
            "--closed", action="store_true", help="drop sets a larger set with as many subjects covers"
        )
        b.add_argument("--limit", type=int, default=0, help="at most this many (default all)")
        b.add_argument("--json", action="store_true")
        t = sub.add_parser("top", help="Binjiang's weekly top-10 panels")
        t.add_argument("--log", required=True, type=Path)
        t.add_argument("--week", help="YYYY-Www (default: the last ISO week with tickets)")
        t.add_argument("--json", action="store_true")
        w = sub.add_parser("whatif", help="replay the log's arrivals under another window plan (SimPy)")
        w.add_argument("--log", required=True, type=Path)
        w.add_argument("--plan", required=True, type=Path)
        w.add_argument("--json", action="store_true")
        g = sub.add_parser("generate", help="write a synthetic ticket log")
        g.add_argument("--out", required=True, type=Path)
        g.add_argument("--days", type=int, default=60)
        g.add_argument("--seed", type=int, default=1)
        g.add_argument("--scale", type=float, default=1.0, help="tickets per day relative to ~3,300")
        n = sub.add_parser("snapshot", help="write a log as Parquet (DuckDB)")
        n.add_argument("--log", required=True, type=Path)
        n.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        from govhall.insights.common import InsightsError

        started = time.monotonic()
        try:
            getattr(self, "do_" + opts["action"].replace("-", "_"))(opts)
        except InsightsError as exc:
            raise CommandError(str(exc))
        except OSError as exc:
            raise CommandError(f"{getattr(exc, 'filename', '') or ''} {exc.strerror or exc}".strip())
        err(f"done in {time.monotonic() - started:.1f} s")

    def do_predict_waits(self, opts: dict[str, Any]) -> None:
        from govhall.insights import predict
        from govhall.insights.common import load_log

        history, log = load_log(opts["history"]), load_log(opts["log"])
        err(f"history {len(history)} tickets, log {len(log)} tickets; fitting")
        rows = predict.predict_waits(history, log)
        with contextlib.ExitStack() as stack:
            out = (
                sys.stdout
                if opts["out"] == "-"
                else stack.enter_context(open(opts["out"], "w", encoding="utf-8", newline=""))
            )
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["ticket_id", "predicted_wait_seconds"])
            writer.writerows(rows)
        err(f"{len(rows)} predictions written to {opts['out']}")
        if opts["evaluate"]:
            err(json.dumps(predict.evaluate(history, log)["overall"]))

    def do_staffing(self, opts: dict[str, Any]) -> None:
        from govhall.insights import staffing
        from govhall.insights.common import load_log

        rows = staffing.plan(load_log(opts["log"]), opts["target_wait"], opts["target_share"])
        if opts["json"]:
            _emit({"plan": [r.as_dict() for r in rows]})
            return
        self.stdout.write(
            f"{'hall':<12}{'zone':<6}{'wd':>3}{'hour':>5}{'arr/h':>8}{'svc s':>8}{'win':>5}{'seen':>6}{'share':>7}"
        )
        for r in rows:
            self.stdout.write(
                f"{r.hall:<12}{r.zone:<6}{r.weekday:>3}{r.hour:>5}{r.arrivals_per_hour:>8.1f}"
                f"{r.mean_service_seconds:>8.0f}{r.windows:>5}{r.observed_windows:>6.1f}{r.expected_share_within_target:>7.2f}"
            )

    def do_bundles(self, opts: dict[str, Any]) -> None:
        from govhall.insights import bundles
        from govhall.insights.common import load_log

        mining = bundles.mine(
            load_log(opts["log"]),
            window_days=opts["window_days"],
            min_subjects=opts["min_subjects"],
            min_lift=opts["min_lift"],
            agent_tickets=opts["agent_tickets"],
        )
        found = (
            mining.bundles if opts["closed"] is None else bundles.closed_only(mining.bundles, opts["closed"])
        )
        if opts["limit"] > 0:
            found = found[: opts["limit"]]
        if mining.agents:
            err(f"{len(mining.agents)} subjects look like agents and were left out of the mining")
        if opts["json"]:
            _emit(
                {
                    "bundles": [b.as_dict() for b in found],
                    "subjects": mining.subjects,
                    "agents": len(mining.agents),
                }
            )
            return
        for b in found:
            self.stdout.write(
                f"{b.subjects:>6} subj  lift {b.lift:8.2f}  conf {b.confidence:5.2f}  {' + '.join(b.matters)}"
            )

    def do_top(self, opts: dict[str, Any]) -> None:
        from govhall.insights import top
        from govhall.insights.common import load_log

        week = top.parse_week(opts["week"]) if opts["week"] else None
        panels = top.panels(load_log(opts["log"]), week)
        if opts["json"]:
            _emit(panels)
            return
        self.stdout.write(f"week {panels['week']}")
        for name in ("by_volume", "shortest_handling", "shortest_wait_units"):
            self.stdout.write(f"\n{name}")
            for entry in panels[name]:  # type: ignore[attr-defined]
                self.stdout.write("  " + "  ".join(f"{k}={v}" for k, v in entry.items()))

    def do_whatif(self, opts: dict[str, Any]) -> None:
        from govhall.insights import whatif
        from govhall.insights.common import InsightsError, load_log

        try:
            data = json.loads(Path(opts["plan"]).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InsightsError(f"no such file: {opts['plan']}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InsightsError(f"{opts['plan']}: not JSON: {exc}")
        plan = whatif.parse_plan(data)
        rows = load_log(opts["log"])
        err(f"replaying {len(rows)} tickets")
        result = whatif.whatif(rows, plan)
        if opts["json"]:
            _emit(result)
            return
        for name in ("actual", "simulated"):
            self.stdout.write(f"{name:<10}" + "  ".join(f"{k}={v}" for k, v in result[name].items()))

    def do_generate(self, opts: dict[str, Any]) -> None:
        from govhall.insights import tracegen

        if opts["days"] < 1:
            raise CommandError("--days must be at least 1")
        _, rows = tracegen.generate(opts["days"], opts["seed"], scale=opts["scale"])
        tracegen.write(rows, opts["out"])
        err(f"{len(rows)} tickets written to {opts['out']}")

    def do_snapshot(self, opts: dict[str, Any]) -> None:
        from govhall.insights import snapshot

        count = snapshot.write_parquet(opts["log"], opts["out"])
        err(f"{count} tickets written to {opts['out']}")
