"""HTTP API of insights (mounted under /api/v1 by govhall.api)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["insights"])
