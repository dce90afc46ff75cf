"""Insights benchmark: a 60-day ~200k-ticket trace, command timings, prediction error, staffing
check by simulation, planted-bundle recall. Run: .venv/bin/python bench/insights/run_bench.py [DIR]
Results go to stdout as Markdown (copied into docs/insights.md by hand)."""

from __future__ import annotations

import datetime as dt
import heapq
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from govhall.insights import bundles, predict, staffing, tracegen
from govhall.insights.common import load_log

ROOT = Path(__file__).resolve().parents[2]
GOVHALL = str(ROOT / ".venv" / "bin" / "govhall")


def timed(*args: str) -> float:
    started = time.monotonic()
    subprocess.run(
        [GOVHALL, "insights", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.monotonic() - started


def staffing_check(
    rows: list, plan: list, target_wait: float, target_share: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Share of plan hours whose windows meet the target in a simulated steady hour with the zone's
    real handling times (resampled), and how many more windows that is than the simulated minimum."""
    spans: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        if r.handling_seconds is not None:
            spans[(r.hall, r.zone)].append(r.handling_seconds)
    met = extra = minimum = 0
    for p in plan:
        sample = np.array(spans.get((p.hall, p.zone)) or [p.mean_service_seconds])
        met += _simulate(p.arrivals_per_hour, sample, p.windows, target_wait, rng) >= target_share
        c = max(1, p.windows - 3)
        while _simulate(p.arrivals_per_hour, sample, c, target_wait, rng) < target_share:
            c += 1
        extra += p.windows
        minimum += c
    return met / len(plan), extra / minimum - 1


def _simulate(
    per_hour: float, sample: np.ndarray, c: int, target: float, rng: np.random.Generator, n: int = 4000
) -> float:
    gaps = rng.exponential(3600 / per_hour, size=n)
    arrivals = np.cumsum(gaps)
    services = rng.choice(sample, size=n)
    free = [0.0] * c
    within = 0
    for t, s in zip(arrivals, services, strict=True):
        start = max(t, heapq.heappop(free))
        within += start - t <= target
        heapq.heappush(free, start + s)
    return within / n


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/insights-bench")
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    world, rows = tracegen.generate(60, seed=1)
    print(f"generate 60 days: {len(rows)} tickets in {time.monotonic() - started:.1f} s (in process)")
    log = out / "log.csv"
    tracegen.write(rows, log)
    cut = dt.datetime.combine(tracegen.DEFAULT_START + dt.timedelta(days=40), dt.time(), tzinfo=tracegen.TZ)
    history, recent = [r for r in rows if r.issued_at < cut], [r for r in rows if r.issued_at >= cut]
    tracegen.write(history, out / "history.csv")
    tracegen.write(recent, out / "recent.csv")
    (out / "plan.json").write_text(json.dumps({}))
    (out / "plan2.json").write_text(
        json.dumps(
            {"windows": {"city/D": {"default": 14, "9": 18, "10": 18}}, "online": {"330108-GA-1001": 0.5}}
        )
    )
    print("\n| command (200k-ticket log unless said) | seconds |\n|---|---|")
    print(
        f"| generate --days 60 | {timed('generate', '--out', str(out / 'g.csv'), '--days', '60', '--seed', '1'):.1f} |"
    )
    print(f"| top | {timed('top', '--log', str(log), '--json'):.1f} |")
    print(f"| staffing | {timed('staffing', '--log', str(log), '--json'):.1f} |")
    print(f"| bundles | {timed('bundles', '--log', str(log), '--json'):.1f} |")
    print(
        f"| whatif (empty plan) | {timed('whatif', '--log', str(log), '--plan', str(out / 'plan.json'), '--json'):.1f} |"
    )
    print(
        f"| predict-waits (H = 40 days, L = 20 days) | {timed('predict-waits', '--history', str(out / 'history.csv'), '--log', str(out / 'recent.csv'), '--out', str(out / 'p.csv')):.1f} |"
    )
    print(
        f"| predict-waits (H = L = all 60 days) | {timed('predict-waits', '--history', str(log), '--log', str(log), '--out', str(out / 'p2.csv')):.1f} |"
    )
    print(f"| snapshot | {timed('snapshot', '--log', str(log), '--out', str(out / 'log.parquet')):.1f} |")

    report = predict.evaluate(history, recent)
    print("\nPrediction MAE (seconds), trained on days 1-40, scored on days 41-60:\n")
    for part in ("overall", "by_queue", "by_hour", "by_zone"):
        table = {"all": report["overall"]} if part == "overall" else report[part]
        print(f"\n| {part} | model | queue × handling ÷ windows | LES | tickets |\n|---|---|---|---|---|")
        for key, m in table.items():
            print(f"| {key} | {m['model']} | {m['queue']} | {m['les']} | {m['tickets']} |")

    loaded = load_log(log)
    plan = staffing.plan(loaded, 900, 0.8)
    met, extra = staffing_check(loaded, plan, 900, 0.8, np.random.default_rng(0))
    print(
        f"\nStaffing: {len(plan)} plan hours; met 80% within 15 min in simulation in {met:.1%} of hours; windows {extra:+.1%} vs the simulated minimum"
    )

    mining = bundles.mine(loaded, min_subjects=2)
    closed = bundles.closed_only(mining.bundles)
    planted = {tuple(sorted(b)) for b in world.bundles}
    found = {b.matters for b in closed}
    recall = len(planted & found) / len(planted)
    top10 = [b.matters for b in closed[:10]]
    exact = sum(m in planted for m in top10) / len(top10)
    topk = sum(b.matters in planted for b in closed[: len(planted)]) / len(planted)
    print(
        f"\nBundles: {len(mining.bundles)} sets with >= 2 subjects, {len(closed)} closed; {len(mining.agents)} agents left out"
    )
    print(
        f"planted recall {recall:.0%}; precision of the top {len(planted)} {topk:.0%}, of the top 10 {exact:.0%}"
    )
    for b in closed[:10]:
        print(f"  {b.matters} subjects={b.subjects} lift={b.lift:.1f} planted={b.matters in planted}")


if __name__ == "__main__":
    main()
