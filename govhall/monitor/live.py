"""The live monitor: the alert engine over the database on the wall clock.

Each cycle judges the window `[since, until)`: `until` is the last whole second that is at least
SETTLE seconds old (so every transaction stamped before it has committed), `since` is where the
previous cycle ended minus OVERLAP (a late commit that adds an alert is still seen). The engine is
stateless, so judging a second twice gives the same alerts, and the unique constraints on Alert
make the second raise a no-op. Several workers: only the one whose compare-and-swap on the
cursor row succeeds runs a cycle.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from govhall.halls.models import Hall, Zone
from govhall.monitor import engine
from govhall.monitor.models import Alert, Cursor

CURSOR = "live"


def _setting(name: str, default: float) -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "GOVHALL", {}).get(name, default)))


def settle() -> dt.timedelta:
    """How old a second must be before it is judged: longer than any ticket transaction."""
    return _setting("MONITOR_SETTLE_SECONDS", 2)


OVERLAP_SECONDS = 60  # seconds judged again each cycle
FIRST_LOOKBACK_SECONDS = 900  # how far back a first cycle (no cursor yet) looks
MAX_CATCHUP_SECONDS = 86400  # after a long stop, history older than this is not alerted
LONGEST_WAIT_SECONDS = 2 * 86400  # tickets still waiting at closing are cancelled; margin of a day
MAX_ALERTS_PER_CYCLE = 200  # a backlog (first start, long stop) is raised over several short cycles


def zone_rules() -> tuple[dict[engine.ZoneKey, engine.ZoneRules], dict[int, Zone]]:
    zones = {z.pk: z for z in Zone.objects.select_related("hall")}
    rules = {
        (z.hall.code, z.code): engine.ZoneRules(
            z.overtime_minutes, z.yellow_waiting, z.red_waiting, z.hall.timezone
        )
        for z in zones.values()
    }
    return rules, zones


def facts_between(
    zones: dict[int, Zone], since: dt.datetime, until: dt.datetime, longest_overtime: int
) -> list[engine.Fact]:
    """Every ticket waiting at some second of `[since - 1 s, until)`, or with a deadline in it."""
    from govhall.queueing.models import Ticket

    oldest = since - dt.timedelta(seconds=max(LONGEST_WAIT_SECONDS, longest_overtime * 60 + OVERLAP_SECONDS))
    edge = since - engine.ONE_SECOND
    rows = (
        Ticket.objects.filter(issued_at__lt=until)
        .filter(
            Q(called_at__isnull=True, finished_at__isnull=True)
            | Q(issued_at__gte=oldest)
            & (Q(called_at__gte=edge) | Q(called_at__isnull=True, finished_at__gte=edge))
        )
        .values_list("id", "zone_id", "issued_at", "called_at", "finished_at")
    )
    facts = []
    for ticket_id, zone_id, issued, called, finished in rows.iterator(chunk_size=2000):
        zone = zones.get(zone_id)
        if zone is not None:
            facts.append(engine.Fact(ticket_id, zone.hall.code, zone.code, issued, called or finished))
    return facts


def window(cursor: Cursor, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    until = engine.moment_of(engine.second_of(now - settle()))
    if cursor.upto is not None and until <= cursor.upto:
        return None
    start = cursor.upto or until - dt.timedelta(seconds=FIRST_LOOKBACK_SECONDS)
    start = max(start, until - dt.timedelta(seconds=MAX_CATCHUP_SECONDS))
    return start - dt.timedelta(seconds=OVERLAP_SECONDS), until


def evaluate(now: dt.datetime) -> int:
    """One cycle; returns the number of alerts raised (0 when another worker had the cycle)."""
    Cursor.objects.bulk_create([Cursor(name=CURSOR)], ignore_conflicts=True)
    with transaction.atomic(durable=True):
        cursor = Cursor.objects.get(name=CURSOR)
        span = window(cursor, now)
        if span is None:
            return 0
        since, until = span
        claimed = Cursor.objects.filter(name=CURSOR, version=cursor.version).update(
            version=F("version") + 1, upto=until, updated_at=now
        )
        if claimed != 1:
            return 0  # another worker is running this cycle
        rules, zones = zone_rules()
        longest = max((z.overtime_minutes for z in zones.values()), default=0)
        found = engine.evaluate(facts_between(zones, since, until, longest), rules, since=since, until=until)
        fresh, cut = not_raised(found, zones, since, until)
        if cut < until:  # a backlog: the rest waits for the next cycles, which start at `cut`
            Cursor.objects.filter(name=CURSOR).update(upto=cut)
        raised = raise_alerts(fresh, zones, now)
        from govhall.monitor import services

        services.escalate(now)
    return raised


def not_raised(
    alerts: list[engine.Alert], zones: dict[int, Zone], since: dt.datetime, until: dt.datetime
) -> tuple[list[tuple[engine.Alert, Zone]], dt.datetime]:
    """The alerts not stored yet (in `at` order), at most MAX_ALERTS_PER_CYCLE whole seconds' worth,
    and the moment up to which they are complete."""
    zone_of = {(z.hall.code, z.code): z for z in zones.values()}
    tickets = [a.ticket_id for a in alerts if a.ticket_id]
    done_tickets = set(
        Alert.objects.filter(kind="overtime", ticket_ref__in=tickets).values_list("ticket_ref", flat=True)
    )
    done_crossings = set(
        Alert.objects.filter(kind__in=["yellow", "red"], at__gte=since).values_list("zone_id", "kind", "at")
    )
    fresh = []
    for alert in alerts:
        zone = zone_of[(alert.hall, alert.zone)]
        if alert.ticket_id not in done_tickets and (zone.pk, alert.kind, alert.at) not in done_crossings:
            fresh.append((alert, zone))
    if len(fresh) <= MAX_ALERTS_PER_CYCLE:
        return fresh, until
    # cut at a whole second (never before the first alert's, so every cycle makes progress)
    cut = engine.moment_of(engine.second_of(fresh[MAX_ALERTS_PER_CYCLE][0].at))
    if cut <= fresh[0][0].at:
        cut += engine.ONE_SECOND
    return [(a, z) for a, z in fresh if a.at < cut], cut


def raise_alerts(fresh: list[tuple[engine.Alert, Zone]], zones: dict[int, Zone], now: dt.datetime) -> int:
    """Store new alerts, each with its realtime event and outbox rows, in the caller's transaction."""
    from govhall.monitor import services

    rows = [
        Alert(
            kind=found.kind,
            hall=zone.hall,
            zone=zone,
            ticket_id=found.ticket_id,
            ticket_ref=found.ticket_id or "",
            at=found.at,
            raised_at=now,
            waiting=found.waiting,
            threshold=found.threshold,
        )
        for found, zone in fresh
    ]
    try:
        with transaction.atomic():
            stored = Alert.objects.bulk_create(rows)
    except IntegrityError:  # only if something else raised one meanwhile: go one by one
        stored = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                stored.append(row)
            except IntegrityError:
                continue
    recipients = services.RecipientCache()
    for alert in stored:
        services.announce(alert, recipients)
    return len(stored)


def describe(alert: Alert) -> dict[str, Any]:
    hall: Hall = alert.hall
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "hall": hall.code,
        "zone": alert.zone.code,
        "zone_name": alert.zone.name,
        "ticket_id": alert.ticket_ref or None,
        "at": engine.iso(alert.at, hall.timezone),
        "raised_at": engine.iso(alert.raised_at, hall.timezone),
        "waiting": alert.waiting,
        "threshold": alert.threshold,
        "acknowledged_at": engine.iso(alert.acknowledged_at, hall.timezone)
        if alert.acknowledged_at
        else None,
        "resolved_at": engine.iso(alert.resolved_at, hall.timezone) if alert.resolved_at else None,
    }
