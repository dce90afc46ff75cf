"""HTTP API of dashboard (mounted under /api/v1/dashboard): the figures the big screen shows.

Public like the screen itself: counts, waits, zone and window states, no personal data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from govhall.apischema import Detail
from govhall.dashboard import figures
from govhall.halls.models import Hall
from govhall.queueing.errors import NotFound

router = Router(tags=["dashboard"])


class Kpi(Schema):
    tickets_today: int
    usual_tickets_so_far: int | None
    waiting: int
    served_or_called_today: int
    mean_wait_seconds: int | None
    usual_mean_wait_seconds: int | None
    good_rating_rate: float | None
    ratings: int
    open_alerts: int


class CityKpi(Kpi):
    halls: int


class HallOnMap(Schema):
    code: str
    name: str
    level: str
    lat: float | None
    lon: float | None
    parent: str | None
    waiting: int
    longest_wait_seconds: int
    alert: str
    open_alerts: int
    worst_open_alert: str
    tickets_today: int
    open_windows: int


class ChannelCount(Schema):
    channel: str
    label: str
    tickets: int


class Hourly(Schema):
    hours: list[int]
    today: list[int]
    usual: list[float]


class AlertView(Schema):
    id: int
    kind: str
    label: str
    hall: str
    hall_name: str
    zone: str
    zone_name: str
    at: str
    waiting: int | None
    threshold: int | None
    acknowledged: bool


class CityView(Schema):
    generated_at: str
    kpi: CityKpi
    halls: list[HallOnMap]
    channels: list[ChannelCount]
    hourly: Hourly
    alerts: list[AlertView]


class ZoneView(Schema):
    code: str
    name: str
    waiting: int
    longest_wait_seconds: int
    alert: str
    estimated_wait_seconds: int
    open_windows: int


class WindowView(Schema):
    code: str
    name: str
    state: str
    tidal: bool
    busy: bool
    number: str | None


class Windows(Schema):
    open: int
    total: int
    list: list[WindowView]


class TopVolume(Schema):
    matter: str
    name: str
    tickets: int


class TopHandling(Schema):
    matter: str
    name: str
    served: int
    mean_handling_seconds: float


class TopUnit(Schema):
    hall: str
    zone: str
    name: str
    tickets: int
    mean_wait_seconds: float


class TopPanels(Schema):
    week: str | None
    by_volume: list[TopVolume]
    shortest_handling: list[TopHandling]
    shortest_wait_units: list[TopUnit]


class HallView(Schema):
    hall: str
    name: str
    level: str
    generated_at: str
    kpi: Kpi
    alert: str
    zones: list[ZoneView]
    windows: Windows
    alerts: list[AlertView]
    channels: list[ChannelCount]
    hourly: Hourly
    top: TopPanels


@router.get("/city", response=CityView, summary="The city view of the big screen (全市一张网)")
def city(request: HttpRequest) -> dict[str, Any]:
    return figures.city()


@router.get(
    "/halls/{hall}", response={200: HallView, 404: Detail}, summary="One hall's drill-down on the big screen"
)
def hall(request: HttpRequest, hall: str) -> dict[str, Any]:
    found = Hall.objects.filter(code=hall).first()
    if found is None:
        raise NotFound(f"no hall {hall!r}")
    return figures.hall(found)
