"""Top-1 / top-3 accuracy of the guidance search over question sets, by kind (no Django).

python -m govhall.guide.evaluation CATALOG.jsonl[,MORE.jsonl] QUERIES.jsonl [...] [--misses]
govhall guide evaluate [--set FILE] [--misses]     # the demo catalogue, engine vs. plain BM25

A question file is JSONL, one `{"query", "expected": [codes], "kind"}` a line; a line with a
`_frozen` key is a header note (when the set was frozen) and is skipped.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govhall.guide import examples, semantic
from govhall.guide.engine import SearchIndex

DATA = Path(__file__).resolve().parent / "tests" / "data"
SHARED_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "guide-sample"


FROZEN = DATA / "frozen_demo.jsonl"
TUNING = DATA / "tuning_demo.jsonl"
HELDOUT2 = DATA / "heldout2_demo.jsonl"  # the second blind set, spent (see its header note)
HELDOUT3 = DATA / "heldout3_demo.jsonl"  # the third blind set, spent (see its header note)
HELDOUT4 = DATA / "heldout4_demo.jsonl"  # the fourth blind set, spent (see its header note)
HELDOUT5 = DATA / "heldout5_demo.jsonl"  # the fifth blind set, spent (see its header note)
# blind sets 6–10 (2026-11-24, the semantic round): each measured blind, spent since (header notes)
LATER_BLIND = {i: DATA / f"heldout{i}_demo.jsonl" for i in range(6, 11)}
# blind sets 11–17 (2026-11-24, the example-bank round): each measured blind once, spent since
BANK_ROUND_BLIND = {i: DATA / f"heldout{i}_demo.jsonl" for i in range(11, 18)}
# blind sets 18–26 (2026-11-24, the student round): each measured blind once, spent since
STUDENT_ROUND_BLIND = {i: DATA / f"heldout{i}_demo.jsonl" for i in range(18, 27)}
# development sets A–F (2026-11-24): written without reading the engine, then tuned on (header notes)
DEVELOPMENT = {x: DATA / f"dev{x}_demo.jsonl" for x in "ABCDEF"}
# every spent set over the demo catalogue (regression guards), and all the sets the example bank holds
SPENT = [
    DATA / "heldout_demo.jsonl",
    HELDOUT2,
    HELDOUT3,
    HELDOUT4,
    HELDOUT5,
    *LATER_BLIND.values(),
    *BANK_ROUND_BLIND.values(),
    *STUDENT_ROUND_BLIND.values(),
    *DEVELOPMENT.values(),
]
BANKED = [FROZEN, TUNING, DATA / "probe_demo.jsonl", *SPENT]


def load_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """The records of a JSONL file, header notes (`_frozen`) left out."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row for row in rows if "_frozen" not in row]


def demo_catalogue(leave_out: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The 江澜市 demo matters with their 办事情形 and example questions, as
    `services.catalogue_records` reads them from the database after `govhall demo load` (but without
    one); the examples from the `leave_out` sets (file stems without `_demo`) are left out."""
    from govhall.demo.data import catalog, guides

    records = catalog.records()
    by_name = {r["name"]: r for r in records}
    wanted: dict[str, list[Any]] = dict(guides.SITUATIONS)
    for name in guides.GENERIC:
        wanted.setdefault(name, guides.generic(by_name[name]))
    return examples.with_examples(
        [
            {
                "code": r["code"],
                "name": r["name"],
                "department": r.get("department", ""),
                "keywords": r.get("keywords") or [],
                "scenarios": r.get("scenarios") or [],
                "description": r.get("description") or "",
                "materials": r.get("materials") or [],
                "situations": [{"name": c[0], "conditions": c[1]} for c in wanted.get(r["name"], [])],
            }
            for r in records
        ],
        leave_out,
    )


def source_of(path: Path | str) -> str:
    """The bank's name for a question set: its file stem without `_demo` (heldout6, devA …)."""
    return Path(path).stem.removesuffix("_demo")


_indexes: dict[str, SearchIndex] = {}


def index_for(path: Path | str) -> SearchIndex:
    """The server's index over the demo catalogue with the bank's examples from the set at `path`
    left out, so the set measures questions the bank has not seen (built once per set)."""
    source = source_of(path)
    if source not in _indexes:
        _indexes[source] = semantic_index(demo_catalogue(leave_out=[source]))
    return _indexes[source]


def semantic_index(matters: list[dict[str, Any]], store: str | None = None) -> SearchIndex:
    """The engine's index as a server runs it: with the semantic re-ranking when it is on
    (`GOVHALL_GUIDE_SEMANTIC`), its vectors in `store` (default: only in memory)."""
    index = SearchIndex(matters)
    semantic.attach(index, semantic.store(store), wait=True)
    return index


class Baseline:
    """Plain BM25 (bm25s) over jieba words of name + keywords + scenarios + description: no lexicon,
    no pinyin, no typo reading, no intents. What the engine adds is measured against this."""

    def __init__(self, matters: list[dict[str, Any]]) -> None:
        import bm25s
        import jieba

        self.codes = [m["code"] for m in matters]
        # its own tokenizer: the engine adds lexicon words to jieba's default dictionary
        self.jieba = jieba.Tokenizer()
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
        from govhall.guide.engine import normalize

        return [w for w in self.jieba.lcut_for_search(normalize(text)) if w.strip()] or ["∅"]

    def search(self, query: str, top: int = 3) -> Any:
        import numpy as np

        scores = self.model.get_scores(self.tokens(query))
        order = np.argsort(-scores)[:top]
        codes = [self.codes[i] for i in order if scores[i] > 0]
        return _Hits(codes)


class _Hit:
    def __init__(self, code: str) -> None:
        self.code = code


class _Hits:
    def __init__(self, codes: list[str]) -> None:
        self.results = [_Hit(c) for c in codes]


def evaluate(index: SearchIndex | Baseline, queries: Iterable[dict[str, Any]]) -> dict[str, Any]:
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


def compare(queries_path: Path | str, misses: bool = False) -> str:
    """The report `govhall guide evaluate` prints: engine and plain BM25 on the demo catalogue."""
    catalogue = demo_catalogue()
    queries = load_jsonl(queries_path)
    started = time.perf_counter()
    index = index_for(queries_path)  # the set's own questions are never examples
    built = time.perf_counter() - started
    ours = evaluate(index, queries)
    base = evaluate(Baseline(catalogue), queries)
    lines = [f"demo catalogue: {len(catalogue)} matters, index built in {built:.2f} s", ""]
    lines.append(report(f"engine — {queries_path}", ours))
    lines.append(report("plain BM25 baseline (jieba words, no lexicon)", base))
    if misses:
        lines.append("engine misses (top-1):")
        for miss in ours["misses"]:
            lines.append(
                f"  [{miss['kind']}] {miss['query']}  expected {miss['expected']}  got {miss['got']}"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    args = [a for a in argv if not a.startswith("--")]
    catalog = [m for path in args[0].split(",") for m in load_jsonl(path)]
    catalog = examples.with_examples(catalog, leave_out=[source_of(p) for p in args[1:]])
    started = time.perf_counter()
    index = semantic_index(catalog)
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
