"""Verbs that change the queue: issue, call next, and every action of the ticket state machine.

Every change runs in one durable transaction that also writes the audit row and the
realtime event, so a ticket is never half-changed, lost or called twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from govhall import clock
from govhall.halls import queries as hall_queries
from govhall.halls.models import Hall, Window, Zone, ZoneMatter
from govhall.queueing import policy as calling
from govhall.queueing import sql
from govhall.queueing.errors import Conflict, NotFound, Unprocessable
from govhall.queueing.models import AT_WINDOW, Channel, DailyCounter, Status, Ticket
from govhall.queueing.subjects import pseudonymize
from govhall.realtime import services as realtime

# The one transition table: action → (allowed from-statuses, to-status, event type).
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "call": (frozenset({Status.WAITING}), Status.CALLED, "ticket.called"),
    "start": (frozenset({Status.CALLED}), Status.SERVING, "ticket.started"),
    "finish": (frozenset({Status.SERVING}), Status.SERVED, "ticket.finished"),
    "no-show": (frozenset({Status.CALLED}), Status.NO_SHOW, "ticket.no_show"),
    "recall": (frozenset({Status.CALLED}), Status.CALLED, "ticket.recalled"),
    "hold": (frozenset({Status.SERVING}), Status.ON_HOLD, "ticket.held"),
    "resume": (frozenset({Status.ON_HOLD}), Status.SERVING, "ticket.resumed"),
    "cancel": (frozenset({Status.WAITING, Status.ON_HOLD}), Status.CANCELLED, "ticket.cancelled"),
    "transfer": (frozenset({Status.CALLED, Status.SERVING}), Status.WAITING, "ticket.transferred"),
    "close": (frozenset({Status.WAITING}), Status.CANCELLED, "ticket.cancelled"),
}
ACTIONS = ("start", "finish", "no-show", "recall", "hold", "resume", "cancel", "transfer")


def new_ticket_id() -> str:
    return "t" + secrets.token_hex(8)


def format_number(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:03d}"


def _next_serial(hall: Hall, zone: Zone, day: dt.date) -> int:
    # Insert-if-missing, then increment: the row lock (PostgreSQL) or the write lock (SQLite)
    # is held until commit, so serials are consecutive and a rolled-back issue uses none.
    # One round trip on both databases (SQLite ≥ 3.35 and PostgreSQL know UPSERT … RETURNING).
    table = DailyCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (hall_id, zone_id, service_day, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (hall_id, zone_id, service_day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [hall.pk, zone.pk, day],
        )
        return int(cursor.fetchone()[0])


def _audit(
    ticket: Ticket,
    action: str,
    before: str,
    at: dt.datetime,
    actor: Any = None,
    window: Window | None = None,
    **detail: Any,
) -> None:
    sql.insert_event(
        ticket=ticket,
        action=action,
        from_status=before,
        to_status=ticket.status,
        at=at,
        window=window,
        actor=actor if getattr(actor, "pk", None) else None,
        detail=detail,
    )


def _publish(ticket: Ticket, event_type: str, **extra: Any) -> None:
    from govhall.queueing.queries import public_ticket

    realtime.record(ticket.hall, event_type, {"ticket": public_ticket(ticket), **extra})


def resolve_zone(hall: Hall, matter_code: str, zone_code: str | None) -> Zone:
    if zone_code:
        zone = Zone.objects.filter(hall=hall, code=zone_code).first()
        if zone is None:
            raise Unprocessable(f"hall {hall.code} has no zone {zone_code!r}")
        return zone
    link = ZoneMatter.objects.select_related("zone").filter(hall=hall, matter_code=matter_code).first()
    if link is None:
        raise Unprocessable(f"matter {matter_code!r} is not handled in hall {hall.code}: give a zone")
    return link.zone


def issue_ticket(
    hall: Hall,
    matter_code: str,
    *,
    zone_code: str | None = None,
    channel: str = Channel.WALK_IN,
    priority: int = 0,
    subject: str = "",
    idempotency_key: str | None = None,
    actor: Any = None,
    zone: Zone | None = None,
) -> tuple[Ticket, bool]:
    """Issue a ticket, waiting and callable at once. Returns (ticket, created).

    `zone`, when the caller has already loaded it, saves looking up `zone_code` again."""
    if channel not in Channel.values:
        raise Unprocessable(f"unknown channel {channel!r}: walk_in, remote or appointment")
    if priority not in (0, 1):
        raise Unprocessable("priority must be 0 or 1")
    if not matter_code or len(matter_code) > 64:
        raise Unprocessable("matter must be a matter code")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 128:
        raise Unprocessable("Idempotency-Key must be 1–128 characters")
    # A resent Idempotency-Key is found by the unique constraint on insert (the transaction rolls
    # back and uses no number), so a first request pays no lookup for it.
    if channel == Channel.REMOTE:  # a resend must not count against the subject's daily limit
        existing = _by_key(hall, idempotency_key)
        if existing:
            return existing, False
    zone = (
        zone if zone is not None and zone.hall_id == hall.pk else resolve_zone(hall, matter_code, zone_code)
    )
    now = clock.now()
    if channel == Channel.WALK_IN and not hall_queries.is_open(hall, now):
        existing = _by_key(hall, idempotency_key)
        if existing:  # issued before closing: a resend still gets its ticket
            return existing, False
        raise Conflict(f"{hall.name}当前不在开放时间 (the hall is closed now)")
    subject = pseudonymize(subject)
    try:
        with transaction.atomic(durable=True):
            day = clock.service_day(now, hall.timezone)
            if channel == Channel.REMOTE and subject:
                _check_remote_limit(hall, subject, day)
            serial = _next_serial(hall, zone, day)
            ticket = Ticket(
                id=new_ticket_id(),
                hall=hall,
                zone=zone,
                origin_zone=zone,
                matter_code=matter_code,
                subject=subject,
                channel=channel,
                priority=priority,
                number=format_number(zone.prefix, serial),
                serial=serial,
                service_day=day,
                status=Status.WAITING,
                issued_at=now,
                queued_at=now,
                idempotency_key=idempotency_key or None,
            )
            sql.insert(ticket)
            _audit(ticket, "issue", "", now, actor, channel=channel)
            _publish(ticket, "ticket.issued")
    except IntegrityError:
        existing = _by_key(hall, idempotency_key)
        if existing:
            return existing, False
        if idempotency_key:
            raise Conflict("a request with this Idempotency-Key is in progress; retry") from None
        raise
    return ticket, True


def _by_key(hall: Hall, idempotency_key: str | None) -> Ticket | None:
    if not idempotency_key:
        return None
    return sql.ticket_by_key(hall, idempotency_key)


def _check_remote_limit(hall: Hall, subject: str, day: dt.date) -> None:
    """Count the subject's remote tickets of the day, across every hall. On PostgreSQL the count
    first takes a transaction lock for (subject, day), so two requests at the same instant (two
    halls, two phones) count one after the other; SQLite's IMMEDIATE transactions already do."""
    limit = int(calling.settings_of(hall.policy)["remote_tickets_per_subject_per_day"] or 0)
    if not limit:
        return
    if connection.vendor == "postgresql":
        digest = hashlib.blake2b(f"remote|{subject}|{day.isoformat()}".encode(), digest_size=8).digest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])
    taken = Ticket.objects.filter(subject=subject, service_day=day, channel=Channel.REMOTE).count()
    if limit and taken >= limit:
        raise Conflict(f"每人每天最多远程取号{limit}次 (remote ticket limit reached for today)")


# Tickets of each line one call considers, so that windows calling at the same instant step over
# the tickets the others are claiming (PostgreSQL's SKIP LOCKED) instead of starting over.
LOOKAHEAD = 10


@contextlib.contextmanager
def _collisions(what: str) -> Iterator[None]:
    """A constraint that stops a change made at the same moment as another one (two call-nexts at
    one window, a resume racing a call) is a 409 to try again, never a 500. On PostgreSQL the
    window row lock alone does not see the other call's ticket: the locking statement's snapshot
    was taken before it waited; the partial unique index on the counter does."""
    try:
        yield
    except IntegrityError:
        raise Conflict(f"{what} changed at the same moment: nothing was done, try again") from None


def call_next(window: Window, actor: Any = None) -> Ticket | None:
    """Call the next ticket for this window, or None when nobody waits for its zones.

    The hall's policy ranks the first tickets of every line the window serves; one statement then
    claims the best-ranked one that still waits and that no other window is claiming right now."""
    with _collisions(f"{window.name}"), transaction.atomic(durable=True):
        try:
            current = sql.lock_window(window)
        except Window.DoesNotExist:
            raise NotFound("no such window") from None
        if window.state != Window.State.OPEN:
            raise Conflict(f"{window.name} is {window.state}: open it before calling")
        if current:
            raise Conflict(f"{window.name} still has {current[0]} ({current[1]}): finish it first")
        for _attempt in range(20):
            lines = sql.candidates(window, LOOKAHEAD)
            if not lines:
                return None
            # read the clock after the lines: a ticket committed just now was issued before it
            now = clock.now()
            heads = [
                calling.Head(tid, zone.code, 1 if level else 0, queued) for tid, level, queued, zone in lines
            ]
            ranked = [
                h.ticket_id for h in calling.choose(heads, window.hall.policy, window.priority_streak, now)
            ]
            # every candidate being claimed by other windows: wait for them to finish rather than
            # spin, then take what is left (a claim that rolled back leaves its ticket waiting)
            ticket = sql.claim(ranked, window, now) or sql.claim(ranked, window, now, wait=True)
            if ticket is None:  # every candidate was taken meanwhile: look again
                continue
            sql.attach(ticket, "hall", window.hall)
            sql.attach(ticket, "zone", next(zone for tid, _, _, zone in lines if tid == ticket.pk))
            sql.attach(ticket, "window", window)
            streak = window.priority_streak + 1 if ticket.priority else 0
            if streak != window.priority_streak:
                window.priority_streak = streak
                sql.update(window, ["priority_streak"])
            _audit(ticket, "call", Status.WAITING, now, actor, window)
            _publish(ticket, "ticket.called", window={"code": window.code, "name": window.name})
            return ticket
        raise Conflict("the queue is changing fast; try again")


def perform(
    ticket_id: str, action: str, actor: Any = None, *, zone_code: str | None = None, check: Any = None
) -> Ticket:
    """Apply one action of the transition table to a ticket.

    `check(ticket)` runs inside the transaction before the change (access control).
    """
    if action not in ACTIONS:
        raise NotFound(f"unknown action {action!r}")
    allowed, target, event_type = TRANSITIONS[action]
    with _collisions(f"ticket {ticket_id}"), transaction.atomic(durable=True):
        ticket = sql.lock_ticket(ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id!r}")
        if check is not None:
            check(ticket)
        before = ticket.status
        if before not in allowed:
            raise Conflict(f"ticket {ticket.number} is {before}; {action} needs {'/'.join(sorted(allowed))}")
        now = clock.now()
        window = ticket.window
        fields = ["status"]
        extra: dict[str, Any] = {}
        if action == "recall":
            limit = int(
                calling.settings_of(ticket.hall.policy)["max_recalls"] or settings.GOVHALL["MAX_RECALLS"]
            )
            if ticket.recall_count >= limit:
                raise Conflict(f"ticket {ticket.number} was recalled {limit} times already: mark it no-show")
            ticket.recall_count += 1
            ticket.last_called_at = now
            fields += ["recall_count", "last_called_at"]
        elif action == "start":
            ticket.started_at = now
            fields.append("started_at")
        elif action in ("finish", "no-show", "cancel"):
            ticket.finished_at = now
            fields.append("finished_at")
            if action == "cancel":
                ticket.reason = "cancelled by the citizen or staff"
                fields.append("reason")
        elif action == "resume":
            if window is None:
                raise Conflict(f"ticket {ticket.number} has no window to resume at")
            busy = Ticket.objects.filter(window=window, status__in=AT_WINDOW).exclude(pk=ticket.pk).first()
            if busy:
                raise Conflict(f"{window.name} is busy with {busy.number}: finish or hold it first")
        elif action == "transfer":
            target_zone = Zone.objects.filter(hall=ticket.hall, code=zone_code or "").first()
            if target_zone is None:
                raise Unprocessable(f"hall {ticket.hall.code} has no zone {zone_code!r}")
            extra["from_zone"] = ticket.zone.code
            ticket.zone = target_zone
            if not calling.settings_of(ticket.hall.policy)["transfer_keeps_place"]:
                ticket.queued_at = now
            ticket.window = None
            ticket.started_at = None
            fields += ["zone", "queued_at", "window", "started_at"]
        ticket.status = target
        sql.update(ticket, fields)
        _audit(ticket, action, before, now, actor, window, **extra)
        window_info = {"code": window.code, "name": window.name} if window else None
        _publish(ticket, event_type, window=window_info, **extra)
    return ticket


def promote(ticket_id: str, reason: str, actor: Any = None) -> Ticket | None:
    """Move a waiting ticket into the priority line (a booking checked in early whose slot has now
    come). It keeps its time in the queue, so among priority tickets it ranks by when it arrived.
    None when the ticket no longer waits or is a priority ticket already: nothing changes."""
    with _collisions(f"ticket {ticket_id}"), transaction.atomic(durable=True):
        ticket = sql.lock_ticket(ticket_id)
        if ticket is None or ticket.status != Status.WAITING or ticket.priority:
            return None
        ticket.priority = 1
        sql.update(ticket, ["priority"])
        _audit(ticket, "promote", Status.WAITING, clock.now(), actor, reason=reason)
        _publish(ticket, "ticket.promoted")
    return ticket


def set_window_state(window: Window, state: str, actor: Any = None) -> Window:
    """Open, pause or close a window (tidal windows open on demand)."""
    if state not in Window.State.values:
        raise Unprocessable(f"unknown window state {state!r}: open, paused or closed")
    with transaction.atomic(durable=True):
        window = Window.objects.select_for_update(of=("self",)).select_related("hall").get(pk=window.pk)
        if (
            state == Window.State.CLOSED
            and Ticket.objects.filter(window=window, status__in=AT_WINDOW).exists()
        ):
            raise Conflict(f"{window.name} still has a ticket at the counter: finish or transfer it first")
        if window.state != state:
            before = window.state
            window.state = state
            window.save(update_fields=["state"])
            realtime.record(
                window.hall,
                "window.changed",
                {
                    "window": {
                        "code": window.code,
                        "name": window.name,
                        "state": state,
                        "from": before,
                        "tidal": window.tidal,
                    }
                },
            )
    return window


CLOSING_REASON = "大厅已下班，未叫号自动取消 (hall closed)"


def close_day(hall: Hall, reason: str = CLOSING_REASON, *, before_day: dt.date | None = None) -> int:
    """Cancel the tickets still waiting at closing (or from days before `before_day`), each with
    a reason and its audit row."""
    cancelled = 0
    now = clock.now()
    waiting = Ticket.objects.filter(hall=hall, status=Status.WAITING)
    if before_day is not None:
        waiting = waiting.filter(service_day__lt=before_day)
    for ticket_id in waiting.values_list("id", flat=True):
        with transaction.atomic(durable=True):
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("hall", "zone")
                .filter(pk=ticket_id, status=Status.WAITING)
                .first()
            )
            if ticket is None:
                continue
            ticket.status, ticket.finished_at, ticket.reason = Status.CANCELLED, now, reason
            ticket.save(update_fields=["status", "finished_at", "reason"])
            _audit(ticket, "close", Status.WAITING, now, None, None, reason=reason)
            _publish(ticket, "ticket.cancelled", reason=reason)
            cancelled += 1
    return cancelled
