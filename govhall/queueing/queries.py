"""Reads of the queue: ticket views, positions, wait estimates, hall status and load."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Min
from django.db.models import Window as Over
from django.db.models.functions import RowNumber

from govhall import clock
from govhall.halls.models import Hall, Window, Zone
from govhall.queueing import policy as calling
from govhall.queueing import sql
from govhall.queueing.models import AT_WINDOW, Status, Ticket

RECENT_SERVED = 30


def position(ticket: Ticket) -> int | None:
    """People ahead in the ticket's zone line, under the same ordering the windows use."""
    if ticket.status != Status.WAITING:
        return None
    return sql.position(ticket)


def mean_service_seconds(zone_id: int) -> float:
    """Mean handling time of the zone's recent served tickets (cached briefly)."""
    key = f"govhall:svc:{zone_id}"
    value = cache.get(key)
    if value is None:
        rows = (
            Ticket.objects.filter(zone_id=zone_id, status=Status.SERVED, called_at__isnull=False)
            .order_by("-finished_at")
            .values_list("called_at", "finished_at")[:RECENT_SERVED]
        )
        spans = [(f - c).total_seconds() for c, f in rows if f and c and f > c]
        value = sum(spans) / len(spans) if spans else float(settings.GOVHALL["DEFAULT_SERVICE_SECONDS"])
        cache.set(key, value, 30)
    return float(value)


def open_windows(zone_id: int) -> int:
    """Open windows serving the zone; cached for a few seconds (it only feeds estimates)."""
    key = f"govhall:open:{zone_id}"
    value = cache.get(key)
    if value is None:
        value = Window.objects.filter(zones__id=zone_id, state=Window.State.OPEN).count()
        cache.set(key, value, 5)
    return int(value)


def estimate_wait(zone_id: int, ahead: int) -> int:
    """Seconds until a ticket with `ahead` people in front is called (queueing yardstick)."""
    servers = max(1, open_windows(zone_id))
    return round(ahead / servers * mean_service_seconds(zone_id))


def public_ticket(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the contract shows it (no subject: no personal data on screens)."""
    tz = ticket.hall.timezone
    return {
        "id": ticket.id,
        "number": ticket.number,
        "hall": ticket.hall.code,
        "zone": ticket.zone.code,
        "matter": ticket.matter_code,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "issued_at": clock.iso(ticket.issued_at, tz),
        "called_at": clock.iso(ticket.called_at, tz) or None,
        "finished_at": clock.iso(ticket.finished_at, tz) or None,
        "window": ticket.window_code or None,
        "recall_count": ticket.recall_count,
    }


def ticket_view(ticket: Ticket, *, learned: bool = True) -> dict[str, Any]:
    """The ticket with its position and estimated wait: the learned model's (govhall.insights.live)
    when it has a fresh prediction for this ticket, else the queueing formula. `learned=False`
    skips the lookup (a ticket issued this instant has no prediction yet)."""
    data = public_ticket(ticket)
    ahead = position(ticket)
    data["position"] = ahead
    wait = None
    if ahead is not None:
        if learned:
            from govhall.insights.live import remaining_wait

            wait = remaining_wait(ticket.id, ticket.issued_at)
        if wait is None:
            wait = estimate_wait(ticket.zone_id, ahead)
    data["estimated_wait_seconds"] = wait
    data["hall_name"] = ticket.hall.name
    data["zone_name"] = ticket.zone.name
    return data


def zone_alert(zone: Zone, waiting: int) -> str:
    if zone.red_waiting is not None and waiting >= zone.red_waiting:
        return "red"
    if zone.yellow_waiting is not None and waiting >= zone.yellow_waiting:
        return "yellow"
    return "none"


def hall_status(hall: Hall) -> dict[str, Any]:
    now = clock.now()
    zones = list(hall.zones.all())
    stats = {
        row["zone_id"]: row
        for row in Ticket.objects.filter(hall=hall, status=Status.WAITING)
        .values("zone_id")
        .annotate(waiting=Count("id"), oldest=Min("issued_at"))
    }
    zone_rows = []
    for zone in zones:
        row = stats.get(zone.pk, {})
        waiting = row.get("waiting", 0)
        oldest = row.get("oldest")
        zone_rows.append(
            {
                "code": zone.code,
                "name": zone.name,
                "waiting": waiting,
                "longest_wait_seconds": int((now - oldest).total_seconds()) if oldest else 0,
                "alert": zone_alert(zone, waiting),
                "estimated_wait_seconds": estimate_wait(zone.pk, waiting),
            }
        )
    current = {
        t.window_id: t
        for t in Ticket.objects.filter(hall=hall, status__in=AT_WINDOW).select_related("hall", "zone")
    }
    windows = []
    for window in hall.windows.prefetch_related("zones"):
        ticket = current.get(window.pk)
        windows.append(
            {
                "code": window.code,
                "name": window.name,
                "state": window.state,
                "tidal": window.tidal,
                "zones": [z.code for z in window.zones.all()],
                "ticket": public_ticket(ticket) if ticket else None,
            }
        )
    return {"hall": hall.code, "name": hall.name, "zones": zone_rows, "windows": windows}


def halls_load() -> list[dict[str, Any]]:
    """Every hall with its waiting count and the estimated wait of a new ticket (mean over its
    zones, weighted by how many wait in each)."""
    waiting = dict(
        Ticket.objects.filter(status=Status.WAITING).values_list("hall_id").annotate(n=Count("id"))
    )
    per_zone = dict(
        Ticket.objects.filter(status=Status.WAITING).values_list("zone_id").annotate(n=Count("id"))
    )
    out = []
    for hall in Hall.objects.prefetch_related("zones"):
        total = waiting.get(hall.pk, 0)
        weighted = 0.0
        for zone in hall.zones.all():
            n = per_zone.get(zone.pk, 0)
            if n:
                weighted += n * estimate_wait(zone.pk, n)
        out.append(
            {
                "code": hall.code,
                "name": hall.name,
                "level": hall.level,
                "lat": hall.lat,
                "lon": hall.lon,
                "waiting": total,
                "estimated_wait_seconds": int(weighted / total) if total else 0,
            }
        )
    return out


def zone_wait(hall: Hall, zone: Zone) -> dict[str, Any]:
    waiting = Ticket.objects.filter(zone=zone, status=Status.WAITING).count()
    return {
        "hall": hall.code,
        "zone": zone.code,
        "waiting": waiting,
        "estimated_wait_seconds": estimate_wait(zone.pk, waiting),
    }


# --- the window console ---------------------------------------------------------------------


def current_at_window(window: Window) -> Ticket | None:
    """The ticket called to or being served at this window, if any."""
    return Ticket.objects.select_related("hall", "zone").filter(window=window, status__in=AT_WINDOW).first()


def held_at_window(window: Window) -> list[Ticket]:
    """Tickets this window put on hold, oldest first (the window is free while they wait)."""
    return list(
        Ticket.objects.select_related("zone")
        .filter(window=window, status=Status.ON_HOLD)
        .order_by("issued_at")
    )


def waiting_for_window(window: Window, limit: int = 50) -> tuple[int, list[Ticket]]:
    """How many wait for this window's zones, and the first `limit` of them in the order this
    window's call-next would call them: the hall's policy (`queueing.policy.choose`) applied to
    the heads of each zone's priority and normal line, one call after another, as if nobody else
    called meanwhile. Two queries, whatever the number of zones."""
    zones = {z.pk: z.code for z in window.zones.all()}
    waiting = Ticket.objects.filter(zone_id__in=list(zones), status=Status.WAITING)
    total = waiting.count()
    if not total or limit <= 0:
        return total, []
    # the first `limit` of every line (zone × priority): enough for any interleaving of them
    firsts = (
        waiting.select_related("zone")
        .annotate(
            place=Over(
                RowNumber(),
                partition_by=[F("zone_id"), F("priority")],
                order_by=[F("queued_at").asc(), F("serial").asc()],
            )
        )
        .filter(place__lte=limit)
    )
    lines: dict[tuple[int, int], list[Ticket]] = {}
    for ticket in sorted(firsts, key=lambda t: (t.queued_at, t.serial)):
        lines.setdefault((ticket.zone_id, 1 if ticket.priority else 0), []).append(ticket)
    rules = window.hall.policy
    streak = window.priority_streak
    now = clock.now()
    order: list[Ticket] = []
    while len(order) < limit and lines:
        heads = [
            calling.Head(line[0].id, zones[zone_id], level, line[0].queued_at)
            for (zone_id, level), line in lines.items()
        ]
        first = calling.choose(heads, rules, streak, now)[0]
        key = next(k for k, line in lines.items() if line[0].id == first.ticket_id)
        chosen = lines[key].pop(0)
        if not lines[key]:
            del lines[key]
        order.append(chosen)
        streak = streak + 1 if chosen.priority else 0
    return total, order


def window_day_figures(hall: Hall, window: Window, day: Any) -> dict[str, Any]:
    """Tickets this window finished as served on the service day, and their mean handling time
    (first call to finish), in minutes."""
    rows = Ticket.objects.filter(
        hall=hall, window_code=window.code, service_day=day, status=Status.SERVED, called_at__isnull=False
    ).values_list("called_at", "finished_at")
    spans = [(f - c).total_seconds() for c, f in rows if f and c and f >= c]
    return {
        "served": len(spans),
        "mean_handling_minutes": round(sum(spans) / len(spans) / 60, 1) if spans else None,
    }
