"""常见问法: how citizens actually asked for a matter, kept as example questions per matter name.

A matter's own text (name, keywords, scenarios) says what it is in the department's words; people
ask in theirs ("房本上押着的那一条怎么去掉" for 抵押权注销登记). The bank in `data/examples.jsonl`
holds questions written by people who had not seen the engine (the question sets under
`tests/data/`, 5,440 over the 300 demo matters), each under the matter name a person chose for it.
The semantic stage compares a new question with them as well as with the matter's text
(`semantic.rerank`): a matter is as close as its closest text or example.

The bank is keyed by matter name, not code, so it serves any catalogue that uses the standard names
(a city's codes differ; its names mostly do not); a name is compared without spaces, brackets and
punctuation (住房公积金提取（购买自住住房） = 住房公积金提取(购买自住住房)). Each example keeps the
set it came from (`source`), so an evaluation can leave a set's own questions out and measure on
questions the bank has never seen (`evaluation.index_for`).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

NOTE = (
    "常见问法 bank: questions people wrote for the demo catalogue's matters, from the question sets in"
    " govhall/guide/tests/data (written 2026-11-23/24 by writers who had not read the engine;"
    " invented, no real person's words). Keyed by matter name; `source` is the set, so an evaluation"
    " can leave a set out. Rebuilt with `python -m govhall.guide.examples` (which also writes"
    " examples-vectors.npz)."
)

log = logging.getLogger(__name__)

BANK = Path(__file__).resolve().parent / "data" / "examples.jsonl"
PER_MATTER = 200  # at most this many examples a matter (corrections first, then the bank's)
_NOT_NAME = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """A matter name as the bank compares it: NFKC, without spaces, brackets or punctuation."""
    return _NOT_NAME.sub("", unicodedata.normalize("NFKC", name or ""))


@cache
def _bank(path: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """name key → ((question, source), ...), header lines (`_note`) skipped. A bank that cannot be
    read is logged and empty: the search goes on with the matters' own texts."""
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = json.loads(line)
                if "_note" in row:
                    continue
                by_name[name_key(row["matter"])].append((row["question"], row.get("source", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("example bank %s unusable: %s", path, exc)
        return {}
    return {key: tuple(rows) for key, rows in by_name.items()}


def for_name(name: str, leave_out: Iterable[str] = (), bank: Path | str = BANK) -> list[str]:
    """The bank's example questions for a matter name, without those from the `leave_out` sets."""
    skip = set(leave_out)
    rows = _bank(str(bank)).get(name_key(name), ())
    return [question for question, source in rows if source not in skip][:PER_MATTER]


@cache
def published(bank: Path | str = BANK) -> frozenset[str]:
    """The bank's questions: invented for the demo sets, so they may be quoted to anyone (a staff
    correction's question is a citizen's own words and is never quoted back)."""
    return frozenset(question for rows in _bank(str(bank)).values() for question, _ in rows)


def with_examples(
    records: Iterable[Mapping[str, Any]], leave_out: Iterable[str] = (), bank: Path | str = BANK
) -> list[dict[str, Any]]:
    """Catalogue records with an `examples` list: the record's own first, then the bank's."""
    skip = tuple(leave_out)
    out = []
    for record in records:
        given = record.get("examples") or []
        own = [str(q) for q in ([given] if isinstance(given, str) else given) if str(q).strip()]
        found = for_name(str(record.get("name") or ""), skip, bank)
        out.append({**record, "examples": list(dict.fromkeys(own + found))[:PER_MATTER]})
    return out


def build(sources: Mapping[str, Path], catalogue: Iterable[Mapping[str, Any]], path: Path = BANK) -> int:
    """Write the bank from question sets (source name → JSONL file) over `catalogue`; the row count."""
    from govhall.guide.evaluation import load_jsonl

    names = {str(m["code"]): str(m["name"]) for m in catalogue}
    order = list(sources)
    rows: dict[tuple[str, str], str] = {}
    for source, set_path in sources.items():
        for asked in load_jsonl(set_path):
            for code in asked["expected"]:
                rows.setdefault((names[code], asked["query"].strip()), source)
    ordered = sorted(rows.items(), key=lambda item: (item[0][0], order.index(item[1])))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"_note": NOTE}, ensure_ascii=False) + "\n")
        for (name, question), source in ordered:
            row = {"matter": name, "question": question, "source": source}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    _bank.cache_clear()
    published.cache_clear()
    return len(ordered)


def main() -> int:
    """Rebuild the bank from every demo question set and ship its vectors (~80 s on 2 cores)."""
    from govhall.guide import evaluation, semantic

    count = build({evaluation.source_of(p): p for p in evaluation.BANKED}, evaluation.demo_catalogue())
    questions = [q for rows in _bank(str(BANK)).values() for q, _ in rows]
    written = semantic.write_shipped(questions)
    print(f"{count} examples in {BANK.name}, {written} vectors in {semantic.SHIPPED.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
