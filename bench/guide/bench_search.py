"""Guidance search benchmark: accuracy by question set (engine vs. a plain BM25 baseline), index
build time and per-query latency at several catalogue sizes.

    .venv/bin/python bench/guide/bench_search.py [--sizes 300,5000] [--speed-only]

No database: it drives govhall.guide.engine directly, with the semantic re-ranking as a server runs it
(`GOVHALL_GUIDE_SEMANTIC=off` for the words alone); speed is printed for both. The baseline is bm25s over jieba words of
name + keywords + scenarios + description, no lexicon, no pinyin, no intents
(`govhall.guide.evaluation.Baseline`).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from synthetic import base_catalog, synthetic_catalog

from govhall.guide import examples, semantic, student
from govhall.guide.engine import SearchIndex
from govhall.guide.evaluation import (
    DATA,
    FROZEN,
    HELDOUT2,
    HELDOUT3,
    HELDOUT4,
    HELDOUT5,
    SHARED_SAMPLE,
    TUNING,
    Baseline,
    demo_catalogue,
    evaluate,
    load_jsonl,
    report,
    semantic_index,
)

SETS = [
    ("frozen, demo catalogue", "demo", FROZEN),
    ("tuning split, demo catalogue", "demo", TUNING),
    ("held out (spent), demo catalogue", "demo", DATA / "heldout_demo.jsonl"),
    ("second held out (spent), demo catalogue", "demo", HELDOUT2),
    ("third held out (spent), demo catalogue", "demo", HELDOUT3),
    ("fourth held out (spent), demo catalogue", "demo", HELDOUT4),
    ("fifth held out (spent), demo catalogue", "demo", HELDOUT5),
    ("probe, demo catalogue", "demo", DATA / "probe_demo.jsonl"),
    ("public sample (63)", "sample", SHARED_SAMPLE / "queries.jsonl"),
    ("own, sample catalogue", "sample", DATA / "queries_sample.jsonl"),
    ("own, extra catalogue", "wide", DATA / "queries_extra.jsonl"),
    ("own, held out", "wide", DATA / "queries_heldout.jsonl"),
]


def latency(index: SearchIndex, queries: list[str]) -> tuple[float, float, float, float]:
    """p50, p95 of wall time and of the process's CPU time per query, in ms. On a shared machine
    the CPU time is what the query costs; the wall time adds waiting for a core."""
    wall, cpu = [], []
    for q in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        index.search(q, top=5)
        cpu.append(1000 * (time.process_time() - started_cpu))
        wall.append(1000 * (time.perf_counter() - started))
    wall.sort()
    cpu.sort()

    def p95(values: list[float]) -> float:
        return values[int(0.95 * (len(values) - 1))]

    return statistics.median(wall), p95(wall), statistics.median(cpu), p95(cpu)


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str]) -> int:
    sizes = [300, 5000]
    speed_only = "--speed-only" in argv
    if "--sizes" in argv:
        sizes = [int(s) for s in argv[argv.index("--sizes") + 1].split(",")]
    sample = load_jsonl(SHARED_SAMPLE / "catalog.jsonl")
    wide = base_catalog()
    SearchIndex(sample[:3])  # load jieba, pypinyin, opencc once: start-up is not build time
    if not speed_only:
        demo = demo_catalogue()
        indexes = {
            "sample": semantic_index(sample),
            "wide": semantic_index(wide),
            "demo": semantic_index(demo),
        }
        baselines = {"sample": Baseline(sample), "wide": Baseline(wide), "demo": Baseline(demo)}
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
    queries = list(dict.fromkeys(q["query"] for _, _, path in SETS for q in load_jsonl(path)))
    print("\n## Speed\n")
    with open("/proc/loadavg") as handle:
        print(f"load average at start: {handle.read().split()[0]} ({len(os.sched_getaffinity(0))} cores)\n")
    print(
        "| matters | build wall (s) | build CPU (s) | p50 wall (ms) | p95 wall (ms) | p50 CPU (ms) | p95 CPU (ms) |"
    )
    print("|---|---|---|---|---|---|---|")
    semantic_rows = []
    rss_before = rss_mb()
    for size in sizes:
        catalog = examples.with_examples(synthetic_catalog(size))  # the bank's 常见问法 by name
        started, started_cpu = time.perf_counter(), time.process_time()
        index = SearchIndex(catalog)
        build, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        p50, p95, c50, c95 = latency(index, queries)
        print(f"| {size} | {build:.2f} | {build_cpu:.2f} | {p50:.2f} | {p95:.2f} | {c50:.2f} | {c95:.2f} |")
        if semantic.enabled():
            unique = len(set(index.passages)) + len(set(index.examples))
            started, started_cpu = time.perf_counter(), time.process_time()
            semantic.attach(index, semantic.VectorStore(None), wait=True)  # memory only: every text embedded
            embed, embed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            for by in ("student", "model"):  # who reads the question (semantic.reader)
                os.environ["GOVHALL_GUIDE_QUERY"] = by
                encoder = semantic._encoder()
                if encoder is not None:
                    encoder.queries.clear()  # no question embedded before: the cache would flatter
                semantic_rows.append((size, by, unique, embed, embed_cpu, *latency(index, queries)))
            os.environ.pop("GOVHALL_GUIDE_QUERY")
    if semantic_rows:
        print(
            f"\nResident memory {rss_before:.0f} MB before the model, {rss_mb():.0f} MB after (all sizes' vectors held)."
        )
        print(f"\nWith the semantic re-ranking ({len(queries)} distinct questions, none embedded before):\n")
        print(
            "| matters | question read by | distinct texts (matters + examples) | embed wall (s) | embed CPU (s) "
            "| p50 wall (ms) | p95 wall (ms) | p50 CPU (ms) | p95 CPU (ms) |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for size, by, unique, embed, embed_cpu, p50, p95, c50, c95 in semantic_rows:
            print(
                f"| {size} | {by} | {unique} | {embed:.1f} | {embed_cpu:.1f} | {p50:.2f} | {p95:.2f} "
                f"| {c50:.2f} | {c95:.2f} |"
            )
        started = time.perf_counter()
        student._read(str(student.FILE))
        print(f"\nLoading the student (once per process): {time.perf_counter() - started:.2f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
