"""Builders for monitor tests: halls with thresholds, tickets at given moments, the live cycle."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from govhall.halls.models import Hall, Zone
from govhall.halls.services import upsert_halls
from govhall.monitor import live
from govhall.monitor.engine import moment_of, second_of
from govhall.monitor.models import Alert
from govhall.queueing.models import Status, Ticket

CST = dt.timezone(dt.timedelta(hours=8))
MONDAY_9AM = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
_serials = itertools.count(1)


def hall_doc(
    code: str = "city",
    zones: dict[str, tuple[int, int | None, int | None]] | None = None,
    policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One always-open hall; zones map code → (overtime_minutes, yellow_waiting, red_waiting)."""
    zones = zones or {"A": (15, 3, 5)}
    extra = {"policy": policy} if policy is not None else {}
    return {
        **extra,
        "code": code,
        "name": f"{code}中心",
        "level": "city",
        "parent": None,
        "timezone": "Asia/Shanghai",
        "zones": [
            {
                "code": z,
                "name": f"{z}区",
                "prefix": z,
                "matters": [],
                "overtime_minutes": ot,
                "yellow_waiting": y,
                "red_waiting": r,
            }
            for z, (ot, y, r) in zones.items()
        ],
        "windows": [],
    }


def build(doc: dict[str, Any]) -> Hall:
    upsert_halls([doc])
    return Hall.objects.get(code=doc["code"])


def put_ticket(hall: Hall, zone_code: str, ticket_id: str, issued: dt.datetime) -> Ticket:
    """A waiting ticket issued at a given moment (bypassing the services, to set any time)."""
    zone = Zone.objects.get(hall=hall, code=zone_code)
    serial = next(_serials)
    return Ticket.objects.create(
        id=ticket_id,
        hall=hall,
        zone=zone,
        origin_zone=zone,
        matter_code="M-1",
        number=f"{zone.prefix}{serial:03d}",
        serial=serial,
        service_day=issued.date(),
        status=Status.WAITING,
        issued_at=issued,
        queued_at=issued,
    )


def call(ticket_id: str, moment: dt.datetime) -> None:
    Ticket.objects.filter(pk=ticket_id).update(status=Status.CALLED, called_at=moment, last_called_at=moment)


def cancel(ticket_id: str, moment: dt.datetime) -> None:
    Ticket.objects.filter(pk=ticket_id).update(status=Status.CANCELLED, finished_at=moment)


def evaluate_after(second_end: dt.datetime) -> int:
    """Run a cycle as soon as every second before `second_end` may be judged."""
    return live.evaluate(moment_of(second_of(second_end)) + live.settle())


def contract_alerts() -> list[dict[str, Any]]:
    """The stored alerts as `monitor replay --json` prints them, in its order."""
    from govhall.monitor.engine import Alert as Found

    found = [
        Found(a.at, a.kind, a.hall.code, a.zone.code, a.ticket_ref or None)
        for a in Alert.objects.select_related("hall", "zone")
    ]
    tz = {h.code: h.timezone for h in Hall.objects.all()}
    return [a.as_json(tz[a.hall]) for a in sorted(found, key=Found.sort_key)]


def drive(rows: list[Any]) -> int:
    """Play log rows into the database second by second, running a cycle after each event second
    (as the worker would), and a last one after every deadline; returns the alerts raised."""
    from collections import defaultdict

    halls = {h.code: h for h in Hall.objects.all()}
    events: dict[int, list[tuple[int, Any]]] = defaultdict(list)
    for row in rows:
        events[second_of(row.issued_at)].append((0, row))
        if row.called_at:
            events[second_of(row.called_at)].append((1, row))
        elif row.finished_at:
            events[second_of(row.finished_at)].append((2, row))
    raised = 0
    for second in sorted(events):
        midway = False
        # within a second: issues first, so a ticket exists before its call in the same second
        for what, row in sorted(events[second], key=lambda e: (e[0], e[1].ticket_id)):
            if what == 1 and not midway:
                # a worker may run while a second is under way: it must not judge that second yet
                raised += live.evaluate(moment_of(second) + live.settle() + dt.timedelta(microseconds=500000))
                midway = True
            if what == 0:
                put_ticket(halls[row.hall], row.zone, row.ticket_id, row.issued_at)
            elif what == 1:
                call(row.ticket_id, row.called_at)
            else:
                cancel(row.ticket_id, row.finished_at)
        raised += evaluate_after(moment_of(second + 1))
    if rows:
        last = max(r.issued_at for r in rows) + dt.timedelta(
            minutes=max(z.overtime_minutes for z in Zone.objects.all())
        )
        # the flow and wait rules can still change when an arrival or an ended wait leaves their window
        ends = [t for r in rows for t in (r.issued_at, r.called_at or r.finished_at) if t is not None]
        last = max(last, max(ends) + dt.timedelta(minutes=live.lookback_minutes(live.zone_rules()[0])))
        raised += evaluate_after(last + dt.timedelta(seconds=2))
    return raised
