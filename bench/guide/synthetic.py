"""A synthetic catalogue of any size, made by recombining the real sample and extra catalogues.

Names get another matter's words appended and descriptions are spliced from other matters, so the
vocabulary grows with the size roughly like a real catalogue's (not a copy of the same 89 matters).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from govhall.guide.evaluation import DATA, SHARED_SAMPLE, load_jsonl

SUFFIXES = [
    "（个人）",
    "（单位）",
    "（企业）",
    "（首次）",
    "（变更）",
    "（注销）",
    "（延续）",
    "（补证）",
    "备案",
    "审批",
    "核准",
    "确认",
    "年检",
    "证明开具",
    "信息查询",
    "资格认定",
]


def base_catalog() -> list[dict[str, Any]]:
    return load_jsonl(SHARED_SAMPLE / "catalog.jsonl") + load_jsonl(DATA / "catalog_extra.jsonl")


def synthetic_catalog(size: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    base = base_catalog()
    out = [dict(m) for m in base[:size]]
    i = 0
    while len(out) < size:
        a, b = rng.sample(base, 2)
        words = [w for w in b["name"].replace("（", " ").replace("）", " ").split() if w]
        name = a["name"] + rng.choice(words)[: rng.randint(2, 6)] + rng.choice(SUFFIXES)
        desc_a, desc_b = a.get("description", ""), b.get("description", "")
        out.append(
            {
                **a,
                "code": f"SYN-{i:05d}",
                "name": name,
                "keywords": rng.sample(a.get("keywords", []) + b.get("keywords", []), k=0),
                "scenarios": [],
                "description": desc_a[: len(desc_a) // 2] + desc_b[len(desc_b) // 2 :],
            }
        )
        i += 1
    return out


if __name__ == "__main__":
    import json
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    lines = "\n".join(json.dumps(m, ensure_ascii=False) for m in synthetic_catalog(size)) + "\n"
    if target:
        target.write_text(lines, encoding="utf-8")
    else:
        sys.stdout.write(lines)
