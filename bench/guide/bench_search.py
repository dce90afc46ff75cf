"""Guidance search benchmark: accuracy by question set (engine vs. a plain BM25 baseline), index
build time and per-query latency at several catalogue sizes.

    .venv/bin/python bench/guide/bench_search.py [--sizes 300,5000]

No database: it drives govhall.guide.engine directly. The baseline is bm25s over jieba words of
name + keywords + scenarios + description, no lexicon, no pinyin, no intents.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from synthetic import base_catalog, synthetic_catalog

from govhall.guide.engine import SearchIndex, normalize
from govhall.guide.evaluation import DATA, SHARED_SAMPLE, evaluate, load_jsonl, report

SETS = [
    ("public sample (63)", "sample", SHARED_SAMPLE / "queries.jsonl"),
    ("own, sample catalogue", "sample", DATA / "queries_sample.jsonl"),
    ("own, extra catalogue", "wide", DATA / "queries_extra.jsonl"),
    ("own, held out", "wide", DATA / "queries_heldout.jsonl"),
]


class Baseline:
    """Plain BM25 (bm25s) over jieba words: what the lexicon, pinyin and intents add is measured
    against this."""

    def __init__(self, matters: list[dict[str, Any]]) -> None:
        import bm25s
        import jieba

        self.codes = [m["code"] for m in matters]
        self.jieba = jieba
        corpus = [
            self.tokens(
                " ".join(
                    [m["name"], *m.get("keywords", []), *m.get("scenarios", []), m.get("description", "")]
                )
            )
            for m in matters
        ]
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)

    def tokens(self, text: str) -> list[str]:
        return [w for w in self.jieba.lcut_for_search(normalize(text)) if w.strip()] or ["∅"]

    def search(self, query: str, top: int = 3) -> Any:
        import numpy as np

        scores = self.model.get_scores(self.tokens(query))
        order = np.argsort(-scores)[:top]

        class _Hit:
            def __init__(self, code: str) -> None:
                self.code = code

        class _Result:
            results = [_Hit(self.codes[i]) for i in order if scores[i] > 0]

        return _Result()


def latency(index: SearchIndex, queries: list[str]) -> tuple[float, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q, top=5)
        times.append(1000 * (time.perf_counter() - started))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main(argv: list[str]) -> int:
    sizes = [300, 5000]
    if "--sizes" in argv:
        sizes = [int(s) for s in argv[argv.index("--sizes") + 1].split(",")]
    sample = load_jsonl(SHARED_SAMPLE / "catalog.jsonl")
    wide = base_catalog()
    SearchIndex(sample[:3])  # load jieba, pypinyin, opencc once: start-up is not build time
    indexes = {"sample": SearchIndex(sample), "wide": SearchIndex(wide)}
    baselines = {"sample": Baseline(sample), "wide": Baseline(wide)}
    print("## Accuracy (top-1 / top-3)\n")
    print("| question set | n | engine top-1 | engine top-3 | plain BM25 top-1 | plain BM25 top-3 |")
    print("|---|---|---|---|---|---|")
    for title, which, path in SETS:
        queries = load_jsonl(path)
        ours = evaluate(indexes[which], queries)
        base = evaluate(baselines[which], queries)  # type: ignore[arg-type]
        n = ours["all"]["n"]
        print(
            f"| {title} | {n} | {ours['all']['top1'] / n:.1%} | {ours['all']['top3'] / n:.1%} "
            f"| {base['all']['top1'] / n:.1%} | {base['all']['top3'] / n:.1%} |"
        )
    print()
    for title, which, path in SETS:
        print("```\n" + report(title, evaluate(indexes[which], load_jsonl(path))) + "\n```")
    queries = [q["query"] for _, _, path in SETS for q in load_jsonl(path)]
    print("\n## Speed\n")
    print("| matters | index build (s) | query p50 (ms) | query p95 (ms) |")
    print("|---|---|---|---|")
    for size in sizes:
        catalog = synthetic_catalog(size)
        started = time.perf_counter()
        index = SearchIndex(catalog)
        build = time.perf_counter() - started
        p50, p95 = latency(index, queries)
        print(f"| {size} | {build:.2f} | {p50:.2f} | {p95:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
