"""Tickets from the database as ticket-log rows (the same rows `tickets export-log` writes), read
straight from values so a month of the whole city loads in a second or two."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from govhall.halls.models import Hall
from govhall.queueing.models import Status, Ticket
from govhall.ticketlog import LogRow

OUTCOMES = {Status.SERVED, Status.NO_SHOW, Status.CANCELLED}


def log_rows(*, hall: Hall | None = None, since: dt.date, until: dt.date) -> list[LogRow]:
    """Every ticket whose service day is in [since, until] (inclusive), of one hall or the city,
    in log order; times in each hall's zone, as the export writes them."""
    tickets = Ticket.objects.filter(service_day__gte=since, service_day__lte=until)
    if hall is not None:
        tickets = tickets.filter(hall=hall)
    zones: dict[str, ZoneInfo] = {}
    rows = []
    for values in (
        tickets.order_by("issued_at", "id")
        .values_list(
            "id",
            "hall__code",
            "hall__timezone",
            "zone__code",
            "matter_code",
            "subject",
            "channel",
            "priority",
            "issued_at",
            "called_at",
            "finished_at",
            "window_code",
            "status",
        )
        .iterator(chunk_size=5000)
    ):
        (ticket_id, hall_code, tz_name, zone, matter, subject, channel, priority, issued, called, finished,
         window, status) = values  # fmt: skip
        tz = zones.get(tz_name) or zones.setdefault(tz_name, ZoneInfo(tz_name))
        rows.append(
            LogRow(
                ticket_id,
                hall_code,
                zone,
                matter,
                subject,
                channel,
                priority,
                issued.astimezone(tz),
                called.astimezone(tz) if called else None,
                finished.astimezone(tz) if finished else None,
                window if called else "",
                status if status in OUTCOMES else "",
            )
        )
    return rows
