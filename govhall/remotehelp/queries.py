"""Reads of remotehelp: session views and the network figures of the manage page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet

from govhall import clock
from govhall.halls.models import Hall, ServicePoint
from govhall.remotehelp import services
from govhall.remotehelp.models import RemoteMatter, RemoteSession, SessionEvent


def material_url(session: RemoteSession, material_id: int) -> str:
    return f"/remotehelp/sessions/{session.pk}/materials/{material_id}"


def session_view(session: RemoteSession, *, with_history: bool = True) -> dict[str, Any]:
    ticket = services.ticket_of(session)
    names = services.matter_names([session.matter_code])
    view: dict[str, Any] = {
        "id": session.pk,
        "ticket": session.ticket_id,
        "number": session.number,
        "ticket_status": ticket.status,
        "point": session.point.code,
        "point_name": session.point.name,
        "hall": session.hall.code,
        "hall_name": session.hall.name,
        "zone": ticket.zone.code,
        "matter": session.matter_code,
        "matter_name": names.get(session.matter_code, ""),
        "status": session.status,
        "status_label": session.get_status_display(),
        "outcome": session.outcome,
        "outcome_label": session.get_outcome_display() if session.outcome else "",
        "note": session.note,
        "window": session.window.code if session.window else None,
        "created_at": clock.iso(session.created_at),
        "accepted_at": clock.iso(session.accepted_at) if session.accepted_at else None,
        "closed_at": clock.iso(session.closed_at) if session.closed_at else None,
        "materials": [
            {
                "id": m["pk"],
                "name": m["name"],
                "content_type": m["content_type"],
                "size": m["size"],
                "uploaded_at": clock.iso(m["uploaded_at"]),
                "url": material_url(session, m["pk"]),
            }
            for m in session.materials.values("pk", "name", "content_type", "size", "uploaded_at")
        ],
        "events": [],
    }
    if with_history:
        view["events"] = [event_view(e, session.hall.timezone) for e in services.history(session)]
    return view


def event_view(event: SessionEvent, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    return {
        "id": event.pk,
        "time": clock.local(event.at, tz).strftime("%m-%d %H:%M:%S"),
        "kind": event.kind,
        "label": event.get_kind_display(),
        "side": event.side,
        "at": clock.iso(event.at),
        "text": event.text,
    }


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = (int(part) for part in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def with_children(halls: QuerySet[Hall]) -> QuerySet[Hall]:
    """The halls and every centre below them (a city centre runs the network of its towns)."""
    ids = set(halls.values_list("pk", flat=True))
    frontier = set(ids)
    while frontier:
        frontier = set(Hall.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return Hall.objects.filter(pk__in=ids)


def network(halls: QuerySet[Hall]) -> list[dict[str, Any]]:
    """Coverage: every centre with its points and how many matters each point may handle remotely."""
    points = ServicePoint.objects.filter(hall__in=halls).select_related("hall").order_by("hall__code", "code")
    enabled = dict(
        RemoteMatter.objects.filter(point__in=points, enabled=True)
        .values_list("point_id")
        .annotate(n=Count("id"))
        .values_list("point_id", "n")
    )
    by_hall: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for point in points:
        by_hall[point.hall_id].append(
            {
                "code": point.code,
                "name": point.name,
                "kind": point.get_kind_display(),
                "matters": enabled.get(point.pk, 0),
            }
        )
    return [
        {"code": h.code, "name": h.name, "level": h.get_level_display(), "points": by_hall.get(h.pk, [])}
        for h in halls.order_by("level", "code")
    ]


def monthly_counts(halls: QuerySet[Hall], months: int = 6) -> tuple[list[str], list[dict[str, Any]]]:
    """Sessions per point and month (the point's month in Asia/Shanghai), last `months` months."""
    now = clock.local(clock.now(), "Asia/Shanghai")
    labels: list[str] = []
    year, mon = now.year, now.month
    for _ in range(months):
        labels.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    labels.reverse()
    since, _ = month_bounds(labels[0])
    since -= dt.timedelta(hours=8)
    rows: dict[str, dict[str, Any]] = {}
    sessions = RemoteSession.objects.filter(point__hall__in=halls, created_at__gte=since).select_related(
        "point"
    )
    for session in sessions.only("created_at", "outcome", "point__code", "point__name"):
        label = clock.local(session.created_at, "Asia/Shanghai").strftime("%Y-%m")
        if label not in labels:
            continue
        row = rows.setdefault(
            session.point.code,
            {
                "code": session.point.code,
                "name": session.point.name,
                "months": dict.fromkeys(labels, 0),
                "done": 0,
                "total": 0,
            },
        )
        row["months"][label] += 1
        row["total"] += 1
        row["done"] += session.outcome == "done"
    return labels, sorted(rows.values(), key=lambda r: (-r["total"], r["code"]))
