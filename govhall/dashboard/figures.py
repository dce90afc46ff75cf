"""The big screen's figures: the city view (全市一张网) and one hall's drill-down.

No personal data leaves here: counts, waits, zone and window states, alert kinds. "Usual" means
the same weekday over the last USUAL_WEEKS weeks (only days on which the hall had tickets), up
to the same local time of day, so today's figures compare like with like.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Q

from govhall import clock
from govhall.dashboard import ratings
from govhall.dashboard.rows import log_rows
from govhall.halls.models import Hall, Window
from govhall.insights import top
from govhall.insights.common import iso_week
from govhall.monitor.models import Alert
from govhall.queueing import queries
from govhall.queueing.models import Ticket

USUAL_WEEKS = 4
USUAL_CACHE_SECONDS = 300
TOP_CACHE_SECONDS = 600
ALERT_RANK = {"none": 0, "yellow": 1, "red": 2}
CHANNEL_LABELS = {"walk_in": "现场取号", "remote": "远程取号", "appointment": "预约"}
ALERT_LABELS = {"overtime": "超时未叫号", "yellow": "黄色预警", "red": "红色预警"}


def _today(hall: Hall, now: dt.datetime) -> dt.date:
    return clock.service_day(now, hall.timezone)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _wait(issued: dt.datetime, called: dt.datetime | None, finished: dt.datetime | None) -> float | None:
    """The CONTRACTS wait (to the first call, or to leaving when never called); None while waiting."""
    end = called or finished
    return None if end is None else (end - issued).total_seconds()


def _day_range(hall: Hall, day: dt.date) -> Q:
    """The tickets of a service day, by issue time (the index on hall and issued_at serves it)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(hall.timezone))
    return Q(hall_id=hall.pk, issued_at__gte=start, issued_at__lt=start + dt.timedelta(days=1))


def _today_rows(halls: list[Hall], now: dt.datetime) -> list[tuple[Any, ...]]:
    days = Q()
    for hall in halls:
        days |= _day_range(hall, _today(hall, now))
    if not halls:
        return []
    return list(
        Ticket.objects.filter(days).values_list("hall_id", "channel", "issued_at", "called_at", "finished_at")
    )


def _usual(hall: Hall, now: dt.datetime) -> dict[str, Any]:
    """Mean tickets up to this time of day, mean wait, and arrivals per hour on the same weekday."""
    tz = ZoneInfo(hall.timezone)
    local_now = now.astimezone(tz)
    key = f"govhall:dash:usual:{hall.pk}:{local_now:%Y%m%d%H}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    days = [local_now.date() - dt.timedelta(weeks=w) for w in range(1, USUAL_WEEKS + 1)]
    in_days = Q()
    for day in days:
        in_days |= _day_range(hall, day)
    rows = list(
        Ticket.objects.filter(in_days).values_list("service_day", "issued_at", "called_at", "finished_at")
    )
    seen_days = {r[0] for r in rows}
    n_days = len(seen_days)
    hourly = [0.0] * 24
    upto = 0
    waits: list[float] = []
    for _day, issued, called, finished in rows:
        local = issued.astimezone(tz)
        hourly[local.hour] += 1
        if local.time() <= local_now.time():
            upto += 1
            wait = _wait(issued, called, finished)
            if wait is not None:
                waits.append(wait)
    found = {
        "days": n_days,
        "tickets_so_far": round(upto / n_days, 1) if n_days else None,
        "mean_wait_seconds": round(_mean(waits) or 0) if waits else None,
        "hourly": [round(h / n_days, 2) if n_days else 0 for h in hourly],
    }
    cache.set(key, found, USUAL_CACHE_SECONDS)
    return found


def _open_alerts(halls: Iterable[Hall], now: dt.datetime) -> list[Alert]:
    """Unresolved alerts raised today (older ones belong to a day that has closed)."""
    since = now - dt.timedelta(hours=24)
    return list(
        Alert.objects.filter(hall__in=list(halls), resolved_at__isnull=True, raised_at__gte=since)
        .select_related("hall", "zone")
        .order_by("-at", "-id")[:200]
    )


def alert_view(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "label": ALERT_LABELS.get(alert.kind, alert.kind),
        "hall": alert.hall.code,
        "hall_name": alert.hall.name,
        "zone": alert.zone.code,
        "zone_name": alert.zone.name,
        "at": clock.iso(alert.at, alert.hall.timezone),
        "waiting": alert.waiting,
        "threshold": alert.threshold,
        "acknowledged": alert.acknowledged_at is not None,
    }


def _kpi(
    rows: list[tuple[Any, ...]], usual: list[dict[str, Any]], waiting: int, rating: dict[str, Any] | None
) -> dict[str, Any]:
    waits = [w for *_, issued, called, finished in rows if (w := _wait(issued, called, finished)) is not None]
    # the usual of several halls: their usual tickets add up; waits weigh by those tickets
    known = [u for u in usual if u["days"]]
    usual_tickets = sum(u["tickets_so_far"] or 0 for u in known) if known else None
    weighted = [(u["mean_wait_seconds"], u["tickets_so_far"] or 0) for u in known if u["mean_wait_seconds"]]
    weight = sum(n for _, n in weighted)
    usual_wait = round(sum(w * n for w, n in weighted) / weight) if weight else None
    return {
        "tickets_today": len(rows),
        "usual_tickets_so_far": round(usual_tickets) if usual_tickets is not None else None,
        "waiting": waiting,
        "served_or_called_today": len(waits),
        "mean_wait_seconds": round(_mean(waits) or 0) if waits else None,
        "usual_mean_wait_seconds": usual_wait,
        "good_rating_rate": rating["rate"] if rating else None,
        "ratings": rating["rated"] if rating else 0,
    }


def _channels(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row[1]] += 1
    return [
        {"channel": c, "label": label, "tickets": counts.get(c, 0)} for c, label in CHANNEL_LABELS.items()
    ]


def _hourly(
    rows: list[tuple[Any, ...]], halls: dict[int, Hall], usual: list[dict[str, Any]]
) -> dict[str, Any]:
    today = [0] * 24
    for hall_id, _channel, issued, *_ in rows:
        today[issued.astimezone(ZoneInfo(halls[hall_id].timezone)).hour] += 1
    usual_sum = [round(sum(u["hourly"][h] for u in usual), 1) for h in range(24)]
    return {"hours": list(range(24)), "today": today, "usual": usual_sum}


def _worst(states: Iterable[str]) -> str:
    return max(states, key=lambda s: ALERT_RANK.get(s, 0), default="none")


def city(now: dt.datetime | None = None) -> dict[str, Any]:
    """Every hall on the map with its live load, and the city's figures for today."""
    now = now or clock.now()
    halls = list(Hall.objects.prefetch_related("zones").order_by("level", "code"))
    by_id = {h.pk: h for h in halls}
    code_of = {h.pk: h.code for h in halls}
    rows = _today_rows(halls, now)
    usual = {h.pk: _usual(h, now) for h in halls}
    alerts = _open_alerts(halls, now)
    open_by_hall: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        open_by_hall[alert.hall_id].append(alert)
    today_by_hall: dict[int, int] = defaultdict(int)
    for row in rows:
        today_by_hall[row[0]] += 1
    open_windows: dict[int, int] = defaultdict(int)
    for hall_id in Window.objects.filter(state=Window.State.OPEN).values_list("hall_id", flat=True):
        open_windows[hall_id] += 1
    hall_rows = []
    total_waiting = 0
    for hall in halls:
        status = _zones(hall, now)
        waiting = sum(z["waiting"] for z in status)
        total_waiting += waiting
        live_state = _worst(z["alert"] for z in status)
        hall_rows.append(
            {
                "code": hall.code,
                "name": hall.name,
                "level": hall.level,
                "lat": hall.lat,
                "lon": hall.lon,
                "parent": code_of.get(hall.parent_id) if hall.parent_id else None,
                "waiting": waiting,
                "longest_wait_seconds": max((z["longest_wait_seconds"] for z in status), default=0),
                "alert": live_state,
                "open_alerts": len(open_by_hall[hall.pk]),
                "worst_open_alert": _worst(a.kind for a in open_by_hall[hall.pk] if a.kind != "overtime"),
                "tickets_today": today_by_hall[hall.pk],
                "open_windows": open_windows[hall.pk],
            }
        )
    minute = now.replace(second=0, microsecond=0)
    rating = ratings.summary(None, minute - dt.timedelta(days=30), minute)
    return {
        "generated_at": clock.iso(now, halls[0].timezone if halls else "Asia/Shanghai"),
        "kpi": {
            **_kpi(rows, list(usual.values()), total_waiting, rating),
            "halls": len(halls),
            "open_alerts": len(alerts),
        },
        "halls": hall_rows,
        "channels": _channels(rows),
        "hourly": _hourly(rows, by_id, list(usual.values())),
        "alerts": [alert_view(a) for a in alerts[:12]],
    }


def _zones(hall: Hall, now: dt.datetime) -> list[dict[str, Any]]:
    with_time = hall_status_at(hall, now)
    return with_time["zones"]  # type: ignore[no-any-return]


def hall_status_at(hall: Hall, now: dt.datetime) -> dict[str, Any]:
    """queries.hall_status, with longest waits measured at `now` (the status uses the clock)."""
    status = queries.hall_status(hall)
    drift = int((now - clock.now()).total_seconds())
    if drift:
        for zone in status["zones"]:
            if zone["waiting"]:
                zone["longest_wait_seconds"] = max(0, zone["longest_wait_seconds"] + drift)
    return status


def hall(hall: Hall, now: dt.datetime | None = None) -> dict[str, Any]:
    """One hall's drill-down: zones, windows, live alerts, today's figures, the weekly top 10."""
    now = now or clock.now()
    status = hall_status_at(hall, now)
    rows = _today_rows([hall], now)
    usual = _usual(hall, now)
    waiting = sum(z["waiting"] for z in status["zones"])
    windows = status["windows"]
    open_per_zone: dict[str, int] = defaultdict(int)
    for window in windows:
        if window["state"] == "open":
            for code in window["zones"]:
                open_per_zone[code] += 1
    zones = [
        {
            "code": z["code"],
            "name": z["name"],
            "waiting": z["waiting"],
            "longest_wait_seconds": z["longest_wait_seconds"],
            "alert": z["alert"],
            "estimated_wait_seconds": z["estimated_wait_seconds"],
            "open_windows": open_per_zone[z["code"]],
        }
        for z in status["zones"]
    ]
    minute = now.replace(second=0, microsecond=0)
    rating = ratings.summary([hall.pk], minute - dt.timedelta(days=30), minute)
    alerts = _open_alerts([hall], now)
    return {
        "hall": hall.code,
        "name": hall.name,
        "level": hall.level,
        "generated_at": clock.iso(now, hall.timezone),
        "kpi": {**_kpi(rows, [usual], waiting, rating), "open_alerts": len(alerts)},
        "alert": _worst(z["alert"] for z in zones),
        "zones": zones,
        "windows": {
            "open": sum(1 for w in windows if w["state"] == "open"),
            "total": len(windows),
            "list": [
                {
                    "code": w["code"],
                    "name": w["name"],
                    "state": w["state"],
                    "tidal": w["tidal"],
                    "busy": w["ticket"] is not None,
                    "number": w["ticket"]["number"] if w["ticket"] else None,
                }
                for w in windows
            ],
        },
        "alerts": [alert_view(a) for a in alerts[:20]],
        "channels": _channels(rows),
        "hourly": _hourly(rows, {hall.pk: hall}, [usual]),
        "top": weekly_top(hall, now),
    }


def weekly_top(hall: Hall, now: dt.datetime) -> dict[str, Any]:
    """Binjiang's three top-10 panels over the hall's last complete ISO week (this week while
    there is no earlier one), with matter names; cached, as the week is closed."""
    local_today = _today(hall, now)
    key = f"govhall:dash:top:{hall.pk}:{local_today.isoformat()}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    start = local_today - dt.timedelta(days=local_today.weekday() + 7)
    rows = log_rows(hall=hall, since=start, until=local_today)
    year, week, _ = (local_today - dt.timedelta(days=7)).isocalendar()
    last_week = f"{year}-W{week:02d}"
    chosen = last_week if any(iso_week(r.issued_at) == last_week for r in rows) else None
    panels = top.panels(rows, chosen)
    names = matter_names(
        [e["matter"] for e in panels["by_volume"]] + [e["matter"] for e in panels["shortest_handling"]]  # type: ignore[attr-defined]
    )
    zone_names = dict(hall.zones.values_list("code", "name"))
    for entry in panels["by_volume"]:  # type: ignore[attr-defined]
        entry["name"] = names.get(entry["matter"], entry["matter"])
    for entry in panels["shortest_handling"]:  # type: ignore[attr-defined]
        entry["name"] = names.get(entry["matter"], entry["matter"])
    for entry in panels["shortest_wait_units"]:  # type: ignore[attr-defined]
        entry["name"] = zone_names.get(entry["zone"], entry["zone"])
    cache.set(key, panels, TOP_CACHE_SECONDS)
    return panels


def matter_names(codes: Iterable[str]) -> dict[str, str]:
    from govhall.catalog.models import Matter

    return dict(Matter.objects.filter(code__in=set(codes)).values_list("code", "name"))
