"""Guidance search endpoints (CONTRACTS section 3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

router = Router(tags=["guide"])


@router.get("/search", summary="Plain words in, ranked matters out")
def search(request: HttpRequest, q: str = "", top: int = 5) -> dict[str, Any]:
    from govhall.guide.services import search_catalog

    return search_catalog(q, top=top)
