"""Reads behind the hall-floor pages: the kiosk's choices, the calling screen, the window console.

Tickets are read through `queueing.queries` (the console's queue in the order call-next would
call it); this module shapes them for the templates. Every function is a bounded number of queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext, gettext_noop

from govhall import clock
from govhall.catalog.models import Matter
from govhall.halls import hours
from govhall.halls import queries as hall_queries
from govhall.halls.models import Hall, Window, ZoneMatter
from govhall.queueing import queries
from govhall.queueing.models import Ticket
from govhall.realtime import services as realtime

CALL_TYPES = ("ticket.called", "ticket.recalled")
DAY_NAMES = (
    gettext_noop("周一"),
    gettext_noop("周二"),
    gettext_noop("周三"),
    gettext_noop("周四"),
    gettext_noop("周五"),
    gettext_noop("周六"),
    gettext_noop("周日"),
)
UNKNOWN_DEPARTMENT = gettext_noop("其他部门")


def opening_hours_text(hall: Hall) -> list[str]:
    """Opening hours as lines people read: 周一至周五 08:30-12:00、13:30-17:00."""
    try:
        week = hours.parse(hall.opening_hours)
    except hours.HoursError:
        return []
    if week is None:
        return [gettext("全天开放")]
    lines: list[str] = []
    day = 0
    while day < 7:
        spans = week[day]
        last = day
        while last + 1 < 7 and week[last + 1] == spans:
            last += 1
        if spans:
            text = "、".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)
            first, until = gettext(DAY_NAMES[day]), gettext(DAY_NAMES[last])
            days = first if last == day else gettext("%(first)s至%(last)s") % {"first": first, "last": until}
            lines.append(f"{days} {text}")
        day = last + 1
    return lines or [gettext("暂停开放")]


def is_open_now(hall: Hall) -> bool:
    try:
        return hall_queries.is_open(hall)
    except hours.HoursError:
        return True  # a bad schedule is the issue endpoint's to refuse, not the kiosk's


def kiosk_load(hall: Hall) -> dict[str, Any]:
    """Whether the kiosk may issue now, and the wait per zone."""
    status = queries.hall_status(hall)
    staffed = {code for w in status["windows"] if w["state"] == "open" for code in w["zones"]}
    return {
        "open": is_open_now(hall),
        "zones": [
            {
                "code": z["code"],
                "waiting": z["waiting"],
                "wait_minutes": round(z["estimated_wait_seconds"] / 60),
                "staffed": z["code"] in staffed,
            }
            for z in status["zones"]
        ],
    }


def kiosk_catalogue(hall: Hall) -> dict[str, Any]:
    """Zones with their matters, departments with theirs, and matter → zone for search results."""
    zones = list(hall.zones.all())
    links = list(ZoneMatter.objects.filter(hall=hall).values_list("matter_code", "zone_id"))
    catalogue = {
        m.code: m
        for m in Matter.objects.filter(code__in=[code for code, _ in links]).select_related("department")
    }
    zone_code = {z.pk: z.code for z in zones}
    matters = []
    for code, zone_id in links:
        matter = catalogue.get(code)
        department = matter.department.name if matter and matter.department else gettext(UNKNOWN_DEPARTMENT)
        matters.append(
            {
                "code": code,
                "name": matter.name if matter else f"事项 {code}",
                "department": department,
                "zone": zone_code[zone_id],
            }
        )
    matters.sort(key=lambda m: (m["department"], m["name"]))
    departments = sorted(
        {m["department"] for m in matters}, key=lambda d: (d == gettext(UNKNOWN_DEPARTMENT), d)
    )
    return {
        "zones": [{"code": z.code, "name": z.name, "prefix": z.prefix} for z in zones],
        "matters": matters,
        "departments": departments,
        "zone_of": {m["code"]: m["zone"] for m in matters},
    }


def recent_calls(hall: Hall, limit: int = 8, scan: int = 400) -> list[dict[str, Any]]:
    """The latest calls and recalls of the hall, newest first, from the stored event log."""
    last = realtime.last_seq(hall)
    events = realtime.events_since(hall, max(0, last - scan), limit=scan)
    calls = [e.as_message() for e in events if e.type in CALL_TYPES]
    return calls[::-1][:limit]


def _waited_minutes(ticket: Ticket, now: dt.datetime) -> int:
    return max(0, int((now - ticket.issued_at).total_seconds() // 60))


def matter_guide(code: str) -> dict[str, Any] | None:
    """The matter's name, materials and situations (办事情形) for the window staff."""
    matter = (
        Matter.objects.filter(code=code).select_related("department").prefetch_related("situations").first()
    )
    if matter is None:
        return None
    return {
        "code": matter.code,
        "name": matter.name,
        "department": matter.department.name if matter.department else "",
        "materials": matter.materials,
        "promised_days": matter.promised_days,
        "fee": matter.fee,
        "situations": [
            {"name": s.name, "conditions": s.conditions, "materials": s.materials, "steps": s.steps}
            for s in matter.situations.all()
        ],
    }


def console(hall: Hall, window: Window, queue_limit: int = 50) -> dict[str, Any]:
    """Everything the window console shows: its ticket, queue, held tickets and today's figures."""
    now = clock.now()
    zones = list(window.zones.all())
    zone_names = {z.pk: z.name for z in zones}
    current = queries.current_at_window(window)
    waiting_total, waiting = queries.waiting_for_window(window, queue_limit)
    held = queries.held_at_window(window)
    names = dict(
        Matter.objects.filter(
            code__in={t.matter_code for t in [*waiting, *held, *([current] if current else [])]}
        ).values_list("code", "name")
    )
    figures = queries.window_day_figures(hall, window, clock.service_day(now, hall.timezone))

    def row(ticket: Ticket) -> dict[str, Any]:
        return {
            "id": ticket.id,
            "number": ticket.number,
            "zone": ticket.zone.code,
            "zone_name": ticket.zone.name,
            "matter": ticket.matter_code,
            "matter_name": names.get(ticket.matter_code, ticket.matter_code),
            "priority": ticket.priority,
            "channel": ticket.get_channel_display(),
            "status": ticket.status,
            "status_label": ticket.get_status_display(),
            "waited_minutes": _waited_minutes(ticket, now),
        }

    return {
        "window": {
            "code": window.code,
            "name": window.name,
            "state": window.state,
            "state_label": window.get_state_display(),
            "tidal": window.tidal,
        },
        "zones": [{"code": z.code, "name": zone_names[z.pk]} for z in zones],
        "all_zones": [{"code": z.code, "name": z.name} for z in hall.zones.all()],
        "current": row(current) if current else None,
        "guide": matter_guide(current.matter_code) if current else None,
        "waiting": [row(t) for t in waiting],
        "waiting_total": waiting_total,
        "held": [row(t) for t in held],
        "today": figures,
    }


def window_of(hall: Hall, code: str) -> Window | None:
    return (
        Window.objects.filter(hall=hall, code=code).select_related("hall").prefetch_related("zones").first()
    )


def display_state(hall: Hall) -> dict[str, Any]:
    # the event id first: whatever happens while the rest is read is replayed to the page
    last_id = realtime.last_seq(hall)
    return {"last_id": last_id, "status": queries.hall_status(hall), "history": recent_calls(hall)}
