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
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, F, Func, Q
from django.db.models.functions import Coalesce

from govhall.halls.models import Hall, Zone
from govhall.monitor import engine
from govhall.monitor.models import CROSSING_KINDS, Alert, Cursor

CURSOR = "live"
log = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class ZoneRef:
    """What a cycle needs of a zone: read as plain values (500 zones with their halls' JSON
    columns as model objects cost a fifth of a second per cycle)."""

    pk: int
    hall_id: int
    code: str
    hall_code: str
    overtime_minutes: int


def extra_rules(
    policy: Any, zone_code: str, hall_code: str
) -> tuple[engine.FlowRule | None, engine.WaitRule | None]:
    """The zone's flow and wait rules from its hall's policy; a policy the engine can't read turns
    them off for that hall (logged) rather than stopping every hall's monitoring."""
    try:
        return engine.policy_rules(policy, zone_code, f"hall {hall_code!r} policy")
    except ValueError as exc:
        log.warning("monitor rules ignored: %s", exc)
        return None, None


def zone_rules() -> tuple[dict[engine.ZoneKey, engine.ZoneRules], dict[int, ZoneRef]]:
    halls = {
        pk: (code, tz, policy)
        for pk, code, tz, policy in Hall.objects.values_list("pk", "code", "timezone", "policy")
    }
    rules: dict[engine.ZoneKey, engine.ZoneRules] = {}
    zones: dict[int, ZoneRef] = {}
    for pk, hall_id, code, overtime, yellow, red in Zone.objects.values_list(
        "pk", "hall_id", "code", "overtime_minutes", "yellow_waiting", "red_waiting"
    ):
        hall_code, tz, policy = halls[hall_id]
        zones[pk] = ZoneRef(pk, hall_id, code, hall_code, overtime)
        rules[(hall_code, code)] = engine.ZoneRules(
            overtime, yellow, red, tz, *extra_rules(policy, code, hall_code)
        )
    return rules, zones


def lookback_minutes(rules: dict[engine.ZoneKey, engine.ZoneRules]) -> int:
    """How far before a window the flow and wait rules look (arrivals, drained waits)."""
    spans = [0]
    for zone in rules.values():
        if zone.flow:
            spans.append(zone.flow.minutes)
        if zone.wait:
            spans.append(zone.wait.rate_minutes)
    return max(spans)


class EpochMicros(Func):
    """PostgreSQL: a timestamptz as whole microseconds since the epoch (exact: numeric, then bigint)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def facts_between(
    zones: dict[int, ZoneRef],
    since: dt.datetime,
    until: dt.datetime,
    longest_overtime: int,
    lookback: int = 0,
) -> list[engine.Fact]:
    """Every ticket waiting at some second of `[since - 1 s, until)`, or with a deadline in it, and,
    for the flow and wait rules, issued or done waiting up to `lookback` minutes before that."""
    from govhall.queueing.models import Ticket

    oldest = since - dt.timedelta(seconds=max(LONGEST_WAIT_SECONDS, longest_overtime * 60 + OVERLAP_SECONDS))
    edge = since - engine.ONE_SECOND - dt.timedelta(minutes=lookback)
    recent = Q(called_at__gte=edge) | Q(called_at__isnull=True, finished_at__gte=edge)
    if lookback:
        recent |= Q(issued_at__gte=edge)
    tickets = Ticket.objects.filter(issued_at__lt=until).filter(
        Q(called_at__isnull=True, finished_at__isnull=True) | Q(issued_at__gte=oldest) & recent
    )
    # the wait end computed by the database: one time to convert per row instead of two
    ended: Any = Coalesce("called_at", "finished_at")
    if connection.vendor == "postgresql":  # whole microseconds since the epoch: no text to parse
        rows = tickets.values_list("id", "zone_id", EpochMicros("issued_at"), EpochMicros(ended))
    else:
        rows = tickets.values_list("id", "zone_id", "issued_at", ended)
    # Straight through the DB cursor: Django's per-value converters (regex parse + make_aware on
    # SQLite) were half the cycle with 5,000 waiting tickets; `_moment` does the same, faster.
    sql, params = rows.query.sql_with_params()
    facts = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(2000):
            for ticket_id, zone_id, issued, wait_end in chunk:
                zone = zones.get(zone_id)
                if zone is not None:
                    end = None if wait_end is None else _moment(wait_end)
                    facts.append(engine.Fact(ticket_id, zone.hall_code, zone.code, _moment(issued), end))
    return facts


def _moment(value: Any) -> dt.datetime:
    """A stored time as aware UTC: SQLite gives 'YYYY-MM-DD HH:MM:SS[.ffffff]' text (UTC, as Django
    writes it with USE_TZ), PostgreSQL microseconds since the epoch (`EpochMicros`)."""
    if isinstance(value, int):
        return engine.EPOCH + dt.timedelta(microseconds=value)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
    return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


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
        facts = facts_between(zones, since, until, longest, lookback_minutes(rules))
        found = engine.evaluate(facts, rules, since=since, until=until)
        fresh, cut = not_raised(found, zones, since, until)
        if cut < until:  # a backlog: the rest waits for the next cycles, which start at `cut`
            Cursor.objects.filter(name=CURSOR).update(upto=cut)
        raised = raise_alerts(fresh, zones, now)
        from govhall.monitor import services

        services.escalate(now)
    return raised


def not_raised(
    alerts: list[engine.Alert], zones: dict[int, ZoneRef], since: dt.datetime, until: dt.datetime
) -> tuple[list[tuple[engine.Alert, ZoneRef]], dt.datetime]:
    """The alerts not stored yet (in `at` order), at most MAX_ALERTS_PER_CYCLE whole seconds' worth,
    and the moment up to which they are complete."""
    zone_of = {(z.hall_code, z.code): z for z in zones.values()}
    tickets = [a.ticket_id for a in alerts if a.ticket_id]
    done_tickets = set(
        Alert.objects.filter(kind="overtime", ticket_ref__in=tickets).values_list("ticket_ref", flat=True)
    )
    done_crossings = set(
        Alert.objects.filter(kind__in=CROSSING_KINDS, at__gte=since).values_list("zone_id", "kind", "at")
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


def raise_alerts(
    fresh: list[tuple[engine.Alert, ZoneRef]], zones: dict[int, ZoneRef], now: dt.datetime
) -> int:
    """Store new alerts, each with its realtime event and outbox rows, in the caller's transaction."""
    from govhall.monitor import services

    if not fresh:
        return 0
    full = Zone.objects.select_related("hall").in_bulk({zone.pk for _, zone in fresh})
    rows = [
        Alert(
            kind=found.kind,
            hall=full[zone.pk].hall,
            zone=full[zone.pk],
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
