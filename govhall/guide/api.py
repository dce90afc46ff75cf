"""Guidance search endpoints (CONTRACTS section 3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

router = Router(tags=["guide"])


class HallOption(Schema):
    hall: str
    name: str
    level: str
    lat: float | None = None
    lon: float | None = None
    distance_km: float | None = None
    zone: str | None = None
    waiting: int
    estimated_wait_seconds: int
    navigation: str | None = None
    ticket: dict[str, Any]


class ChannelOption(Schema):
    channel: str
    label: str


class Route(Schema):
    channel: str = Field(description="lightest channel: app → web → kiosk → hall")
    channel_label: str
    howto: str
    channels: list[ChannelOption]
    max_visits: int
    promised_days: int
    hall_needed: bool
    halls: list[HallOption] = Field(description="halls handling the matter, best (near and short wait) first")


class GuideHit(Schema):
    code: str
    name: str
    score: float
    route: Route | None = None


class AskOption(Schema):
    code: str
    name: str
    label: str


class Ask(Schema):
    question: str
    options: list[AskOption]


class GuideAnswer(Schema):
    query: str
    results: list[GuideHit]
    ask: Ask | None = None


@router.get(
    "/search",
    response=GuideAnswer,
    exclude_none=True,
    summary="Plain words in, ranked matters out, each with its recommended route",
)
def search(
    request: HttpRequest,
    q: str = "",
    top: int = Query(5, ge=1, le=50),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
) -> dict[str, Any]:
    from govhall.guide.services import search_catalog

    return search_catalog(q, top=top, lat=lat, lon=lon, routes=True)
