"""Top-1 / top-3 accuracy of the guidance search over question sets, by kind (no Django).

python -m govhall.guide.evaluation CATALOG.jsonl[,MORE.jsonl] QUERIES.jsonl [...] [--misses]
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govhall.guide.engine import SearchIndex

DATA = Path(__file__).resolve().parent / "tests" / "data"
SHARED_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "guide-sample"


def load_jsonl(path: Path | str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(index: SearchIndex, queries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{"kinds": {kind: {"n", "top1", "top3"}}, "all": {...}, "misses": [...], "ms_per_query"}."""
    kinds: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "top1": 0, "top3": 0})
    misses = []
    started = time.perf_counter()
    count = 0
    for q in queries:
        count += 1
        codes = [h.code for h in index.search(q["query"], top=3).results]
        hit1 = bool(codes[:1]) and codes[0] in q["expected"]
        hit3 = any(c in q["expected"] for c in codes[:3])
        for key in (q.get("kind", "other"), "all"):
            kinds[key]["n"] += 1
            kinds[key]["top1"] += hit1
            kinds[key]["top3"] += hit3
        if not hit1:
            misses.append(
                {"query": q["query"], "kind": q.get("kind"), "expected": q["expected"], "got": codes}
            )
    elapsed = time.perf_counter() - started
    summary = {k: dict(v) for k, v in kinds.items()}
    return {
        "kinds": {k: v for k, v in summary.items() if k != "all"},
        "all": summary.get("all", {"n": 0, "top1": 0, "top3": 0}),
        "misses": misses,
        "ms_per_query": 1000 * elapsed / max(1, count),
    }


def report(title: str, result: dict[str, Any]) -> str:
    lines = [f"{title}"]
    rows = [*sorted(result["kinds"].items()), ("ALL", result["all"])]
    for kind, row in rows:
        n = row["n"] or 1
        lines.append(
            f"  {kind:15s} n={row['n']:3d}  top-1 {row['top1'] / n:6.1%}  top-3 {row['top3'] / n:6.1%}"
        )
    lines.append(f"  {result['ms_per_query']:.2f} ms/query")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    args = [a for a in argv if not a.startswith("--")]
    catalog = [m for path in args[0].split(",") for m in load_jsonl(path)]
    started = time.perf_counter()
    index = SearchIndex(catalog)
    print(f"index of {len(catalog)} matters built in {time.perf_counter() - started:.2f} s")
    for path in args[1:]:
        result = evaluate(index, load_jsonl(path))
        print(report(str(path), result))
        if show_misses:
            for miss in result["misses"]:
                print(
                    f"    MISS [{miss['kind']}] {miss['query']}  expected {miss['expected']}  got {miss['got']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
