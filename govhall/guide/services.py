"""Guidance search over the catalogue (a name match until the retrieval engine lands)."""

from __future__ import annotations

from typing import Any

from govhall.catalog.models import Matter


def search_catalog(query: str, top: int = 5) -> dict[str, Any]:
    from rapidfuzz import fuzz, process

    text = query.strip()
    if not text:
        return {"query": text, "results": []}
    names = dict(Matter.objects.values_list("code", "name"))
    hits = process.extract(text, names, scorer=fuzz.partial_ratio, limit=max(1, top))
    return {
        "query": text,
        "results": [
            {"code": code, "name": name, "score": round(score / 100, 4)} for name, score, code in hits
        ],
    }
