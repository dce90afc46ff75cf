"""Ticket logs in and out of the database (CONTRACTS section 6)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

from govhall import clock, ticketlog
from govhall.catalog.models import Matter
from govhall.halls.models import Hall, Zone
from govhall.importing import ImportFailed, ImportReport, LineError
from govhall.queueing.models import DailyCounter, Status, Ticket
from govhall.queueing.services import format_number
from govhall.queueing.subjects import pseudonymize

OUTCOME_STATUS = {"served": Status.SERVED, "no_show": Status.NO_SHOW, "cancelled": Status.CANCELLED}


def _row(ticket: Ticket) -> ticketlog.LogRow:
    tz = ZoneInfo(ticket.hall.timezone)
    at = lambda value: value.astimezone(tz) if value else None  # noqa: E731
    return ticketlog.LogRow(
        ticket.id,
        ticket.hall.code,
        ticket.zone.code,
        ticket.matter_code,
        ticket.subject,
        ticket.channel,
        ticket.priority,
        ticket.issued_at.astimezone(tz),
        at(ticket.called_at),
        at(ticket.finished_at),
        ticket.window_code if ticket.called_at else "",
        ticket.outcome,
    )


def export_log(
    out: io.TextIOBase | io.StringIO,
    *,
    hall: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> int:
    """Write the log; `since`/`until` are service days (inclusive)."""
    rows = log_rows(hall=hall, since=since, until=until)
    ticketlog.write_log(rows, out)
    return len(rows)


def log_rows(
    *, hall: str | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> list[ticketlog.LogRow]:
    """The tickets as log rows, as they stand now (open tickets have empty fields), in issue order."""
    tickets = Ticket.objects.select_related("hall", "zone").order_by("issued_at", "id")
    if hall:
        tickets = tickets.filter(hall__code=hall)
    if since:
        tickets = tickets.filter(service_day__gte=since)
    if until:
        tickets = tickets.filter(service_day__lte=until)
    return [_row(t) for t in tickets.iterator(chunk_size=2000)]


def _zone_for_offset(offset: dt.timedelta | None) -> str:
    """A hall created from a log gets the time zone its timestamps carry."""
    hours = int((offset or dt.timedelta(hours=8)).total_seconds() // 3600)
    if hours == 8:
        return "Asia/Shanghai"
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{-hours:+d}"


def import_log(path: Path) -> ImportReport:
    """Import history from another system, all-or-nothing; unknown halls, zones and matters are
    created as minimal records."""
    try:
        rows = ticketlog.read_log(path)
    except ticketlog.LogError as exc:
        raise ImportFailed([LineError(line, reason) for line, reason in exc.errors])
    existing = set(Ticket.objects.filter(pk__in=[r.ticket_id for r in rows]).values_list("id", flat=True))
    if existing:
        dup = next(r for r in rows if r.ticket_id in existing)
        raise ImportFailed([LineError(dup.line, f"ticket_id {dup.ticket_id!r} is already in the database")])
    report = ImportReport()
    with transaction.atomic(durable=True):
        halls = {h.code: h for h in Hall.objects.filter(code__in={r.hall for r in rows})}
        for r in rows:
            if r.hall not in halls:
                halls[r.hall] = Hall.objects.create(
                    code=r.hall, name=r.hall, timezone=_zone_for_offset(r.issued_at.utcoffset())
                )
                report.warnings.append(f"created hall {r.hall}")
        zones = {
            (z.hall.code, z.code): z
            for z in Zone.objects.filter(hall__in=halls.values()).select_related("hall")
        }
        for r in rows:
            if (r.hall, r.zone) not in zones:
                prefix = r.zone if r.zone.isalnum() and len(r.zone) <= 8 else "Z"
                zones[(r.hall, r.zone)] = Zone.objects.create(
                    hall=halls[r.hall], code=r.zone, name=r.zone, prefix=prefix
                )
                report.warnings.append(f"created zone {r.hall}/{r.zone}")
        known = set(Matter.objects.filter(code__in={r.matter for r in rows}).values_list("code", flat=True))
        new_matters = sorted({r.matter for r in rows if r.matter and r.matter not in known})
        Matter.objects.bulk_create([Matter(code=code, name=code) for code in new_matters])
        if new_matters:
            report.warnings.append(f"created {len(new_matters)} matters")
        # Serials continue each (hall, zone, day) line in issue order.
        last: dict[tuple[int, int, dt.date], int] = defaultdict(int)
        for row in (
            Ticket.objects.filter(hall__in=halls.values())
            .values("hall_id", "origin_zone_id", "service_day")
            .annotate(top=Max("serial"))
        ):
            last[(row["hall_id"], row["origin_zone_id"], row["service_day"])] = row["top"]
        tickets = []
        for r in sorted(rows, key=lambda r: (r.issued_at, r.ticket_id)):
            hall, zone = halls[r.hall], zones[(r.hall, r.zone)]
            day = clock.service_day(r.issued_at, hall.timezone)
            key = (hall.pk, zone.pk, day)
            last[key] += 1
            if r.outcome:
                status = OUTCOME_STATUS[r.outcome]
            else:
                status = Status.SERVING if r.called_at else Status.WAITING
            tickets.append(
                Ticket(
                    id=r.ticket_id,
                    hall=hall,
                    zone=zone,
                    origin_zone=zone,
                    matter_code=r.matter,
                    subject=pseudonymize(r.subject),
                    channel=r.channel,
                    priority=r.priority,
                    number=format_number(zone.prefix, last[key]),
                    serial=last[key],
                    service_day=day,
                    status=status,
                    issued_at=r.issued_at,
                    queued_at=r.issued_at,
                    called_at=r.called_at,
                    last_called_at=r.called_at,
                    started_at=r.called_at if status in (Status.SERVING, Status.SERVED) else None,
                    finished_at=r.finished_at,
                    window_code=r.window,
                    reason="imported",
                )
            )
        Ticket.objects.bulk_create(tickets, batch_size=1000)
        for (hall_id, zone_id, day), top in last.items():
            counter, _ = DailyCounter.objects.get_or_create(hall_id=hall_id, zone_id=zone_id, service_day=day)
            if counter.last < top:
                counter.last = top
                counter.save(update_fields=["last"])
        report.created = len(tickets)
    return report
